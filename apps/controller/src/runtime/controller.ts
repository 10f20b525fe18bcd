import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@aigw/kube-config';
import { createLogger, type Logger } from '@aigw/service-kit/core';
import { InformerCache, type IndexedObjectCache } from './cache.js';
import { systemClock, type Clock } from './clock.js';
import {
  kindInfo,
  kindFieldSelectors,
  kindLabelSelectors,
  watchedKinds,
  type Kind,
  type KubeObject,
  type ObjectRef,
  type Reconciler,
  type ReconcileContext,
  type ReconcileResult,
} from './contracts.js';
import { isControllerError } from './errors.js';
import { registerStandardIndexes } from './indexes.js';
import { Informer, type InformerEvent } from './informer.js';
import { KubeClient } from './kube-client.js';
import { loadKubeConfig } from './kube-config.js';
import { LeaderElector, defaultLeaseName } from './leader-election.js';
import { ControllerMetrics } from './metrics.js';
import { keyOf, parseKey } from './paths.js';
import { WorkQueue, type ProcessedEvent, type QueueHandler } from './queue.js';
import type { RateLimiterOptions } from './rate-limiter.js';
import { KubeObjectWriter } from './writer.js';

/** Leader election settings; durations default to client-go's 15 s / 10 s / 2 s. */
export interface LeaderElectionSettings {
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Lease name; default `envoy-ai-gateway-controller`. */
  readonly name?: string;
  /** Default `<hostname>_<uuid>`. */
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** Options of {@link Controller} / {@link startController}. */
export interface ControllerOptions {
  /** The reconciler of each kind; kinds without one are only cached. */
  readonly reconcilers: Partial<Record<Kind, Reconciler>>;
  /** A loaded kubeconfig, or a path to one (`kubeconfigPath`). */
  readonly kubeConfig?: KubeConfig;
  readonly kubeconfigPath?: string;
  /** Default: a silent logger. */
  readonly log?: Logger;
  /** Namespaces to watch (upstream's `-watchNamespaces`); all when empty or undefined. */
  readonly namespaces?: readonly string[] | undefined;
  /** Kinds to run informers for; default every kind of `watchedKinds`. */
  readonly kinds?: readonly Kind[];
  /** `false` (default when omitted) runs reconcilers at once without a Lease. */
  readonly leaderElection?: LeaderElectionSettings | false;
  /** Period of the informers' resync (every cached object re-queued); 0 disables. Default 10 min. */
  readonly resyncMs?: number;
  /** Keys of one kind reconciled at the same time. Default 4. */
  readonly concurrency?: number;
  readonly rateLimiter?: RateLimiterOptions;
  /** How often an absent CRD is looked for again. Default 10 s. */
  readonly absentRetryMs?: number;
  /** How long a graceful stop lets in-flight reconciles finish before aborting them. Default 10 s. */
  readonly drainTimeoutMs?: number;
  /** Default: a fresh registry with process metrics. */
  readonly metrics?: ControllerMetrics;
  /** What the cache keeps of each object (default: all of it); see `InformerCache`. */
  readonly compact?: (kind: Kind, object: KubeObject) => KubeObject;
  /** Extra indexes to register on the cache before informers start. */
  readonly indexes?: (cache: IndexedObjectCache) => void;
  readonly clock?: Clock;
  /** Where each reconcile becomes a span (`OTEL_*` traces on); none by default. */
  readonly traceReconcile?: (kind: Kind, event: ProcessedEvent) => void;
}

/** One leadership term: queues and the signal every reconcile of the term gets. */
interface Term {
  readonly abort: AbortController;
  readonly queues: Map<Kind, WorkQueue>;
  isRunning: boolean;
}

/**
 * The controller manager: informers fill one cache; informer events of a kind queue that kind's
 * key (and the controlling owner's, for owned objects such as HTTPRoutes); per-kind work queues
 * run the registered {@link Reconciler}s, which read the cache, write through a
 * {@link KubeObjectWriter} and queue other keys through `enqueue` (the event graph). Only the
 * leader runs reconcilers: on losing the lease the term's signal aborts and its queues stop; on
 * (re)gaining it, every cached object of a reconciled kind is queued once the caches are synced.
 */
export class Controller {
  readonly cache: InformerCache;
  readonly client: KubeClient;
  readonly metrics: ControllerMetrics;
  readonly log: Logger;
  private readonly informers: Informer[];
  private readonly elector: LeaderElector | undefined;
  private readonly clock: Clock;
  private term: Term | undefined;
  private termStarting: Promise<void> | undefined;
  private isStopped = false;

  private reconcileCount = 0;

  constructor(private readonly options: ControllerOptions) {
    this.log =
      options.log ?? createLogger({ name: 'aigw-controller', level: 'silent', format: 'json' });
    this.clock = options.clock ?? systemClock;
    const kubeConfig =
      options.kubeConfig ?? loadKubeConfig({ path: options.kubeconfigPath, isInCluster: false });
    this.client = new KubeClient(kubeConfig);
    const election = options.leaderElection ?? false;
    const leaseName = election ? (election.name ?? defaultLeaseName) : defaultLeaseName;
    this.metrics = options.metrics ?? new ControllerMetrics({ leaseName });
    this.cache = new InformerCache(options.compact);
    registerStandardIndexes(this.cache);
    options.indexes?.(this.cache);
    this.informers = (options.kinds ?? watchedKinds).map((kind) => this.createInformer(kind));
    for (const informer of this.informers) this.metrics.informer(informer.kind, 'pending');
    this.elector = election ? this.createElector(election, leaseName) : undefined;
  }

  private createInformer(kind: Kind): Informer {
    return new Informer({
      kind,
      client: this.client,
      cache: this.cache,
      log: this.log,
      namespaces: this.options.namespaces,
      labelSelector: kindLabelSelectors[kind],
      fieldSelector: kindFieldSelectors[kind],
      resyncMs: this.options.resyncMs ?? 600_000,
      absentRetryMs: this.options.absentRetryMs ?? 10_000,
      clock: this.clock,
      onEvent: (event) => {
        this.onInformerEvent(event);
      },
      onState: (k, state) => {
        this.metrics.informer(k, state);
      },
      onRelist: (k, reason) => {
        this.metrics.relist(k, reason);
      },
    });
  }

  private createElector(election: LeaderElectionSettings, leaseName: string): LeaderElector {
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = election;
    return new LeaderElector({
      client: this.client,
      log: this.log,
      namespace: election.namespace,
      name: leaseName,
      identity: election.identity ?? `${hostname()}_${randomUUID()}`,
      ...(leaseDurationMs === undefined ? {} : { leaseDurationMs }),
      ...(renewDeadlineMs === undefined ? {} : { renewDeadlineMs }),
      ...(retryPeriodMs === undefined ? {} : { retryPeriodMs }),
      onStartedLeading: () => {
        this.startTerm();
      },
      onStoppedLeading: () => void this.endTerm({ drain: false }),
      onLeaderChange: (isLeader) => {
        this.metrics.leader(isLeader);
      },
    });
  }

  /** Starts the informers and, with leader election, campaigning; returns at once. */
  start(): void {
    for (const informer of this.informers) informer.start();
    if (this.elector) this.elector.start();
    else {
      this.metrics.leader(true);
      this.startTerm();
    }
  }

  /** Whether reconcilers run here (always true without leader election, once started). */
  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : this.term !== undefined;
  }

  /** This replica's identity in the Lease (undefined without leader election). */
  get identity(): string | undefined {
    return this.elector?.identity;
  }

  /** Ready once every informer has synced (or found its CRD absent). */
  isReady(): boolean {
    return this.informers.every((informer) => informer.hasSynced);
  }

  /** Resolves once {@link isReady}. */
  async whenSynced(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.whenSynced()));
  }

  /** Informer states by kind (for logs and tests). */
  informerStates(): Readonly<Partial<Record<Kind, string>>> {
    return Object.fromEntries(this.informers.map((i) => [i.kind, i.state]));
  }

  /**
   * Resolves when the current term has started and every queue is empty with nothing in flight
   * (keys scheduled for later do not count). Tests use it after a change to wait for convergence.
   */
  async whenIdle(): Promise<void> {
    await this.termStarting;
    for (;;) {
      const queues = [...(this.term?.queues.values() ?? [])];
      await Promise.all(queues.map((q) => q.whenIdle()));
      if (queues.every((q) => q.depth === 0 && q.inFlight === 0)) return;
    }
  }

  /** Reconciles finished since the start (any outcome): how much work has been done. */
  get reconciles(): number {
    return this.reconcileCount;
  }

  /** Whether any queue has a key waiting or in flight now (keys scheduled for later do not count). */
  get isBusy(): boolean {
    return [...(this.term?.queues.values() ?? [])].some((q) => q.depth > 0 || q.inFlight > 0);
  }

  /** Queues a key of a reconciled kind (ignored while not leading or for other kinds). */
  enqueue(ref: ObjectRef): void {
    this.term?.queues.get(ref.kind)?.add(keyOf(ref.namespace, ref.name));
  }

  /**
   * Stops: queues drain (in-flight reconciles get `drainTimeoutMs`, then their signal aborts),
   * the lease is released unless `release: false` (what a crash looks like to the others), the
   * informers stop.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    await this.endTerm({ drain: options.release ?? true });
    await this.elector?.stop({ release: options.release ?? true });
    this.metrics.leader(false);
    await Promise.all(this.informers.map((informer) => informer.stop()));
    this.client.close();
  }

  private startTerm(): void {
    if (this.term || this.isStopped) return;
    const term: Term = { abort: new AbortController(), queues: new Map(), isRunning: false };
    this.term = term;
    for (const [kind, reconciler] of Object.entries(this.options.reconcilers) as [
      Kind,
      Reconciler,
    ][]) {
      term.queues.set(
        kind,
        new WorkQueue({
          handler: this.reconcilerHandler(term, kind, reconciler),
          concurrency: this.options.concurrency ?? 4,
          clock: this.clock,
          ...(this.options.rateLimiter ? { rateLimiter: this.options.rateLimiter } : {}),
          observer: {
            ...this.metrics.queueObserver(kind),
            processed: (event) => {
              this.reconcileCount += 1;
              this.metrics.queueObserver(kind).processed?.(event);
              this.options.traceReconcile?.(kind, event);
              if (event.outcome === 'error') this.logFailure(term, { kind, ...event });
            },
          },
        }),
      );
    }
    // Like controller-runtime: reconcilers start once the caches are synced, then see everything.
    this.termStarting = this.whenSynced().then(() => {
      if (this.term !== term || term.abort.signal.aborted) return;
      term.isRunning = true;
      for (const [kind, queue] of term.queues) {
        for (const object of this.cache.list(kind)) {
          queue.add(keyOf(object.metadata.namespace ?? '', object.metadata.name));
        }
      }
      this.log.info({ kinds: [...term.queues.keys()] }, 'reconcilers started');
    });
  }

  private async endTerm(options: { drain: boolean }): Promise<void> {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    if (!options.drain) term.abort.abort();
    const drained = Promise.all([...term.queues.values()].map((queue) => queue.shutdown()));
    if (options.drain) {
      const timer = this.clock.setTimer(this.options.drainTimeoutMs ?? 10_000, () => {
        term.abort.abort();
      });
      await drained;
      timer.cancel();
      term.abort.abort();
    } else await drained;
    this.log.info('reconcilers stopped');
  }

  /** Whether the informers watch `namespace` (all namespaces without `--watch-namespaces`). */
  private isWatched(namespace: string | undefined): boolean {
    const namespaces = this.options.namespaces;
    return !namespaces?.length || namespace === undefined || namespaces.includes(namespace);
  }

  /** The queue handler of one kind in one term. */
  private reconcilerHandler(term: Term, kind: Kind, reconciler: Reconciler): QueueHandler {
    return (key) => this.reconcile(term, reconciler, { kind, ...parseKey(key) });
  }

  private reconcile(term: Term, reconciler: Reconciler, ref: ObjectRef): Promise<ReconcileResult> {
    const { kind, namespace, name } = ref;
    const signal = term.abort.signal;
    const context: ReconcileContext = {
      cache: this.cache,
      writer: new KubeObjectWriter({
        client: this.client,
        signal,
        mayWrite: () => this.term === term && !signal.aborted && (this.elector?.isLeader ?? true),
        onWrite: (verb, k) => {
          this.metrics.write(verb, k);
        },
        onStored: (k, stored) => {
          if (this.isWatched(stored.metadata.namespace)) this.cache.upsertIfNewer(k, stored);
        },
      }),
      enqueue: (other) => {
        if (this.term === term) this.enqueue(other);
      },
      log: this.log.child({ kind, namespace, name }),
      signal,
    };
    return reconciler(ref, context);
  }

  private logFailure(
    term: Term,
    { kind, key, error }: { kind: Kind; key: string; error?: unknown },
  ): void {
    const isAborted =
      term.abort.signal.aborted ||
      (isControllerError(error) && (error.code === 'not-leader' || error.code === 'stopped'));
    if (isAborted) this.log.debug({ kind, key }, 'reconcile aborted');
    else this.log.error({ err: error, kind, key }, 'reconcile failed; retrying with backoff');
  }

  private onInformerEvent(event: InformerEvent): void {
    if (event.type !== 'resync') this.metrics.cacheSize(event.kind, this.cache.size(event.kind));
    const term = this.term;
    if (!term?.isRunning) return;
    if (event.type === 'updated' && event.old && !isRelevantUpdate(event.old, event.object)) return;
    const queue = term.queues.get(event.kind);
    const { metadata } = event.object;
    queue?.add(keyOf(metadata.namespace ?? '', metadata.name));
    this.enqueueOwner(term, event.object);
  }

  /** Owned objects (HTTPRoutes, filters, Secrets…) queue their controlling owner, like `Owns()`. */
  private enqueueOwner(term: Term, object: KubeObject): void {
    for (const owner of object.metadata.ownerReferences ?? []) {
      const ref = owner as {
        apiVersion?: string;
        kind?: string;
        name?: string;
        controller?: boolean;
      };
      if (!ref.controller || !ref.kind || !ref.name) continue;
      const kind = ref.kind as Kind;
      const queue = Object.hasOwn(kindInfo, kind) ? term.queues.get(kind) : undefined;
      if (queue && ref.apiVersion?.startsWith(kindInfo[kind].group)) {
        queue.add(keyOf(object.metadata.namespace ?? '', ref.name));
      }
    }
  }
}

/**
 * Whether an update can change what a reconciler computes: anything but `status`,
 * `resourceVersion` and `managedFields`. Skipping status-only updates keeps the controller's own
 * status writes from queueing the object again.
 */
export function isRelevantUpdate(old: KubeObject, next: KubeObject): boolean {
  return JSON.stringify(withoutVolatile(old)) !== JSON.stringify(withoutVolatile(next));
}

function withoutVolatile(object: KubeObject): unknown {
  const copy: Record<string, unknown> = { ...object };
  delete copy['status'];
  const metadata: Record<string, unknown> = { ...object.metadata };
  delete metadata['resourceVersion'];
  delete metadata['managedFields'];
  copy['metadata'] = metadata;
  return copy;
}

/** Creates and starts a {@link Controller}; `await controller.whenSynced()` for the caches. */
export function startController(options: ControllerOptions): Controller {
  const controller = new Controller(options);
  controller.start();
  return controller;
}
