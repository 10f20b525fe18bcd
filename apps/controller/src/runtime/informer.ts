import type { Logger } from '@aigw/service-kit/core';
import { isNewerVersion, type InformerCache } from './cache.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import type { Kind, KubeObject } from './contracts.js';
import { ControllerError, codeForStatus, isControllerError } from './errors.js';
import type { KubeClient, WatchEvent } from './kube-client.js';
import { apiVersionOf, collectionPath } from './paths.js';

/** What an informer tells its handler. `resync` repeats every cached object periodically. */
export interface InformerEvent {
  readonly type: 'added' | 'updated' | 'deleted' | 'resync';
  readonly kind: Kind;
  readonly object: KubeObject;
  /** The cached version before an update. */
  readonly old?: KubeObject;
}

/**
 * `pending`: not listed yet (or failing); `synced`: listed, watching; `absent`: the API server does
 * not serve the kind (CRD not installed) — the informer retries and counts as synced meanwhile.
 */
export type InformerState = 'pending' | 'synced' | 'absent';

/** Options of {@link Informer}. */
export interface InformerOptions {
  readonly kind: Kind;
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly log: Logger;
  readonly onEvent: (event: InformerEvent) => void;
  /** Namespaces to watch; all when undefined. */
  readonly namespaces?: readonly string[] | undefined;
  /** Only objects matching this label selector (lists and watches); all when undefined. */
  readonly labelSelector?: string | undefined;
  /** Only objects matching this field selector (lists and watches); all when undefined. */
  readonly fieldSelector?: string | undefined;
  /** Period of `resync` events; 0 disables. */
  readonly resyncMs?: number;
  /** How often an absent kind is looked for again. Default 10 s. */
  readonly absentRetryMs?: number;
  /** Page size of lists. Default 500. */
  readonly pageSize?: number;
  readonly clock?: Clock;
  /** Called whenever the state changes. */
  readonly onState?: (kind: Kind, state: InformerState) => void;
  /** Called before every list after the first (the watch's resourceVersion expired: 410 Gone). */
  readonly onRelist?: (kind: Kind, reason: 'expired') => void;
}

interface ObjectList {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: Record<string, unknown>[];
}

/** Where one scope's list-watch loop stands. */
interface LoopState {
  readonly log: Logger;
  backoff: number;
  resourceVersion: string | undefined;
  isFirstList: boolean;
}

/** Failure to list or watch, retried with a backoff of 0.8 s doubling to 30 s (client-go's reflector). */
const minBackoffMs = 800;
const maxBackoffMs = 30_000;

/**
 * List-then-watch of one kind (per watched namespace, or cluster-wide) into the shared cache, as
 * client-go's reflector: the watch starts at the list's resourceVersion and follows bookmarks; a
 * `410 Gone` (the resourceVersion is too old) relists and turns the differences into events; a
 * dropped watch resumes from the last seen resourceVersion; `managedFields` are stripped before
 * caching. A kind the API server does not serve (404 on list) is `absent`: the informer keeps
 * looking every `absentRetryMs` and starts normally once its CRD appears.
 */
export class Informer {
  private readonly abort = new AbortController();
  private readonly scopes: (string | undefined)[];
  private readonly scopeStates = new Map<string | undefined, InformerState>();
  private readonly clock: Clock;
  private readonly loops: Promise<void>[] = [];
  private resyncTimer: Timer | undefined;
  private syncWaiters: (() => void)[] = [];
  private current: InformerState = 'pending';

  constructor(private readonly options: InformerOptions) {
    this.clock = options.clock ?? systemClock;
    this.scopes = options.namespaces?.length ? [...options.namespaces] : [undefined];
    for (const scope of this.scopes) this.scopeStates.set(scope, 'pending');
  }

  get kind(): Kind {
    return this.options.kind;
  }

  /** `synced` once every scope listed, `absent` when the kind is not served, else `pending`. */
  get state(): InformerState {
    return this.current;
  }

  /** Whether the informer no longer holds readiness back (synced or absent). */
  get hasSynced(): boolean {
    return this.current !== 'pending';
  }

  /** Starts listing and watching; returns at once. */
  start(): void {
    for (const scope of this.scopes) this.loops.push(this.run(scope));
    this.scheduleResync();
  }

  /** Resolves once {@link hasSynced}. */
  whenSynced(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Stops watching; the cache keeps what it has. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.resyncTimer?.cancel();
    await Promise.all(this.loops);
  }

  private scheduleResync(): void {
    const resyncMs = this.options.resyncMs ?? 0;
    if (resyncMs <= 0 || this.abort.signal.aborted) return;
    this.resyncTimer = this.clock.setTimer(resyncMs, () => {
      if (this.current === 'synced') {
        for (const object of this.options.cache.list(this.kind)) {
          this.options.onEvent({ type: 'resync', kind: this.kind, object });
        }
      }
      this.scheduleResync();
    });
  }

  private setState(scope: string | undefined, state: InformerState): void {
    this.scopeStates.set(scope, state);
    const states = [...this.scopeStates.values()];
    const next: InformerState = states.includes('pending')
      ? 'pending'
      : states.every((s) => s === 'absent')
        ? 'absent'
        : 'synced';
    if (next === this.current) return;
    this.current = next;
    this.options.onState?.(this.kind, next);
    if (next !== 'pending') for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private async run(scope: string | undefined): Promise<void> {
    const loop: LoopState = {
      log: this.options.log.child({ kind: this.kind, namespace: scope ?? '*' }),
      backoff: minBackoffMs,
      resourceVersion: undefined,
      isFirstList: true,
    };
    while (!this.isStopped()) {
      try {
        await this.listAndWatch(scope, loop);
      } catch (err) {
        if (this.isStopped()) break;
        await this.recover(scope, loop, err);
      }
    }
  }

  private isStopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async listAndWatch(scope: string | undefined, loop: LoopState): Promise<void> {
    if (loop.resourceVersion === undefined) {
      if (!loop.isFirstList) this.options.onRelist?.(this.kind, 'expired');
      loop.isFirstList = false;
      loop.resourceVersion = await this.relist(scope);
      this.setState(scope, 'synced');
    }
    await this.watchFrom(scope, loop.resourceVersion, (rv) => {
      loop.resourceVersion = rv;
      loop.backoff = minBackoffMs;
    });
  }

  /** After a failed list or watch: relist (410), wait for an absent CRD, or back off and re-watch. */
  private async recover(scope: string | undefined, loop: LoopState, err: unknown): Promise<void> {
    const code = isControllerError(err) ? err.code : undefined;
    if (code === 'gone') {
      // The resourceVersion left the API server's window (etcd compacted): list again.
      loop.log.debug('watch resourceVersion expired; relisting');
      loop.resourceVersion = undefined;
      return;
    }
    if (code === 'not-found') {
      if (this.scopeStates.get(scope) !== 'absent') {
        loop.log.info('kind not served by the API server (CRD not installed?); will retry');
      }
      loop.resourceVersion = undefined;
      loop.isFirstList = true;
      this.dropScope(scope);
      this.setState(scope, 'absent');
      await this.sleep(this.options.absentRetryMs ?? 10_000);
      return;
    }
    // A dropped or refused watch resumes from the last resourceVersion seen.
    loop.log.warn({ err }, 'list/watch failed; retrying');
    await this.sleep(loop.backoff);
    loop.backoff = Math.min(maxBackoffMs, loop.backoff * 2);
  }

  /** Lists the scope page by page, replaces the cache's view of it, emits the differences. */
  private async relist(scope: string | undefined): Promise<string> {
    const { items, resourceVersion } = await this.listAll(scope);
    const seen = new Set<string>();
    for (const object of items) {
      const namespace = object.metadata.namespace ?? '';
      seen.add(`${namespace}/${object.metadata.name}`);
      this.store(object);
    }
    for (const object of this.inScope(scope)) {
      const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      if (!seen.has(key)) this.delete(object);
    }
    return resourceVersion;
  }

  private async listAll(
    scope: string | undefined,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    for (;;) {
      const page = await this.options.client.request<ObjectList>({
        path: collectionPath(this.kind, scope),
        query: {
          limit: this.options.pageSize ?? 500,
          continue: continueToken,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        },
        signal: this.abort.signal,
      });
      for (const item of page.items ?? []) items.push(this.normalise(item));
      continueToken = page.metadata?.continue || undefined;
      if (continueToken === undefined) {
        return { items, resourceVersion: page.metadata?.resourceVersion ?? '' };
      }
    }
  }

  private async watchFrom(
    scope: string | undefined,
    initial: string,
    onProgress: (resourceVersion: string) => void,
  ): Promise<void> {
    let resourceVersion = initial;
    while (!this.abort.signal.aborted) {
      // Like client-go: a server-side timeout between 5 and 10 minutes spreads reconnections.
      const timeoutSeconds = Math.floor(300 * (1 + Math.random()));
      await this.options.client.watch({
        path: collectionPath(this.kind, scope),
        query: {
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        },
        signal: this.abort.signal,
        idleTimeoutMs: (timeoutSeconds + 60) * 1000,
        onEvent: (event) => {
          const next = this.apply(event);
          if (next !== undefined) {
            resourceVersion = next;
            onProgress(next);
          }
        },
      });
    }
  }

  /** Applies one watch event to the cache; returns the new resourceVersion. */
  private apply(event: WatchEvent): string | undefined {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: number; message?: string };
      throw new ControllerError(
        codeForStatus(status.code ?? 500),
        `watch ${this.kind}: ${status.message ?? 'error event'}`,
        status.code === undefined ? {} : { status: status.code },
      );
    }
    const metadata = event.object['metadata'] as { resourceVersion?: string } | undefined;
    if (event.type === 'BOOKMARK') return metadata?.resourceVersion;
    const object = this.normalise(event.object);
    if (event.type === 'DELETED') this.delete(object);
    else if (!this.isStale(object)) this.store(object);
    return object.metadata.resourceVersion;
  }

  /**
   * Whether the cache already holds a newer version (the controller's own write, stored from its
   * answer before this event arrived).
   */
  private isStale(object: KubeObject): boolean {
    const { namespace = '', name, resourceVersion } = object.metadata;
    const cached = this.options.cache.get(this.kind, namespace, name);
    return isNewerVersion(cached?.metadata.resourceVersion, resourceVersion);
  }

  private store(whole: KubeObject): void {
    const old = this.options.cache.upsert(this.kind, whole);
    // What the cache kept (it may keep less than the whole object), so events compare like with like.
    const { namespace = '', name } = whole.metadata;
    const object = this.options.cache.get(this.kind, namespace, name) ?? whole;
    if (!old) this.options.onEvent({ type: 'added', kind: this.kind, object });
    else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) {
      this.options.onEvent({ type: 'updated', kind: this.kind, object, old });
    }
  }

  private delete(object: KubeObject): void {
    const old = this.options.cache.remove(
      this.kind,
      object.metadata.namespace ?? '',
      object.metadata.name,
    );
    if (old) this.options.onEvent({ type: 'deleted', kind: this.kind, object: old });
  }

  private dropScope(scope: string | undefined): void {
    for (const object of this.inScope(scope)) this.delete(object);
  }

  private inScope(scope: string | undefined): readonly KubeObject[] {
    return this.options.cache.list(this.kind, scope);
  }

  /**
   * Lists omit `kind`/`apiVersion` on items; set them. Drop what no reconciler reads and can be
   * large: `managedFields`, and `kubectl apply`'s copy of the whole object in the
   * `last-applied-configuration` annotation (it doubles every object applied that way). The cache
   * shares repeated strings. Copied without them rather than `delete`d: see
   * {@link withoutServerFields}.
   */
  private normalise(raw: Record<string, unknown>): KubeObject {
    const object = raw as {
      metadata?: Record<string, unknown>;
      kind?: string;
      apiVersion?: string;
    };
    if (object.metadata) object.metadata = withoutServerFields(object.metadata);
    object.kind ??= this.kind;
    object.apiVersion ??= apiVersionOf(this.kind);
    return object as unknown as KubeObject;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) {
        resolve();
        return;
      }
      const signal = this.abort.signal;
      const onAbort = (): void => {
        timer.cancel();
        resolve();
      };
      const timer = this.clock.setTimer(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * `metadata` without `managedFields` and the `last-applied-configuration` annotation, as a copy:
 * `delete` turns a V8 object into a hash table (dictionary mode), ~430 bytes more per object, which
 * at 2,000 routes (20,000 cached objects) was 8.5 MiB of the controller's heap.
 */
export function withoutServerFields(metadata: Record<string, unknown>): Record<string, unknown> {
  const rest = without(metadata, 'managedFields');
  const annotations = rest['annotations'] as Record<string, unknown> | undefined;
  if (annotations && lastApplied in annotations)
    rest['annotations'] = without(annotations, lastApplied);
  return rest;
}

/** A copy of `record` without `key` (a fresh object: V8 keeps it in fast mode). */
function without(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record)) if (k !== key) out[k] = record[k];
  return out;
}

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
