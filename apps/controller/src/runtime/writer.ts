import {
  kindInfo,
  type Kind,
  type KubeObject,
  type ObjectRef,
  type ObjectWriter,
  type UnwatchedObject,
} from './contracts.js';
import { ControllerError, isControllerError } from './errors.js';
import { withoutServerFields } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { objectPath } from './paths.js';

type WriteVerb = 'apply' | 'patchStatus' | 'patchMetadata' | 'delete';

/** The field manager of every server-side apply the controller sends. */
export const fieldManager = 'aigw-controller';

/** Options of {@link KubeObjectWriter}. */
export interface KubeObjectWriterOptions {
  readonly client: KubeClient;
  /** Writes are refused (`not-leader`) unless this says yes; default: always allowed. */
  readonly mayWrite?: () => boolean;
  /** Aborts the write in flight (the reconcile's signal). */
  readonly signal?: AbortSignal;
  /** Gets what the API server stored after each apply and patch (the cache keeps it). */
  readonly onStored?: (kind: Kind, stored: KubeObject) => void;
  /** Counts every write sent, by verb and kind (for metrics and tests). */
  readonly onWrite?: (verb: WriteVerb, kind: string) => void;
}

/**
 * {@link ObjectWriter} against the API server: server-side apply with field manager
 * `aigw-controller` and `force=true` for objects, JSON merge patches for status and metadata.
 * While the controller is not the leader (or its reconcile was aborted) every call fails with
 * `not-leader` before anything is sent.
 */
export class KubeObjectWriter implements ObjectWriter {
  constructor(private readonly options: KubeObjectWriterOptions) {}

  /** The same writer with another abort signal (one per reconcile). */
  withSignal(signal: AbortSignal): KubeObjectWriter {
    return new KubeObjectWriter({ ...this.options, signal });
  }

  async apply(object: KubeObject): Promise<KubeObject> {
    const kind = kindOf(object);
    const ref: ObjectRef = {
      kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
    };
    this.check('apply', kind);
    // JSON is YAML: the apply-patch content type takes it as is.
    const stored = await this.options.client.request<KubeObject>({
      method: 'PATCH',
      path: objectPath(ref),
      query: { fieldManager, force: true },
      body: object,
      contentType: 'application/apply-patch+yaml',
      ...this.signal(),
    });
    return this.stored(kind, stored);
  }

  async patchStatus(ref: ObjectRef, status: object): Promise<void> {
    this.check('patchStatus', ref.kind);
    const stored = await this.options.client.request<KubeObject>({
      method: 'PATCH',
      path: `${objectPath(ref)}/status`,
      query: { fieldManager },
      body: { status },
      contentType: 'application/merge-patch+json',
      ...this.signal(),
    });
    this.stored(ref.kind, stored);
  }

  async patchMetadata(ref: ObjectRef, metadata: object, resourceVersion: string): Promise<void> {
    this.check('patchMetadata', ref.kind);
    // A resourceVersion inside a merge patch is a precondition: a stale one answers 409.
    const stored = await this.options.client.request<KubeObject>({
      method: 'PATCH',
      path: objectPath(ref),
      query: { fieldManager },
      body: { metadata: { ...metadata, resourceVersion } },
      contentType: 'application/merge-patch+json',
      ...this.signal(),
    });
    this.stored(ref.kind, stored);
  }

  async delete(ref: ObjectRef): Promise<void> {
    this.check('delete', ref.kind);
    try {
      await this.options.client.request({
        method: 'DELETE',
        path: objectPath(ref),
        body: { propagationPolicy: 'Background' },
        ...this.signal(),
      });
    } catch (err) {
      if (isControllerError(err) && err.code === 'not-found') return;
      throw err;
    }
  }

  async applyUnwatched(object: UnwatchedObject, path: string): Promise<void> {
    this.check('apply', object.kind);
    await this.options.client.request({
      method: 'PATCH',
      path,
      query: { fieldManager, force: true },
      body: object,
      contentType: 'application/apply-patch+yaml',
      ...this.signal(),
    });
  }

  /** What the API server answered a write with, without `managedFields`, told to `onStored`. */
  private stored(kind: Kind, stored: KubeObject): KubeObject {
    const object = {
      ...stored,
      metadata: withoutServerFields(stored.metadata),
    } as KubeObject;
    this.options.onStored?.(kind, object);
    return object;
  }

  private signal(): { signal?: AbortSignal } {
    return this.options.signal ? { signal: this.options.signal } : {};
  }

  private check(verb: WriteVerb, kind: string): void {
    if (this.options.signal?.aborted) {
      throw new ControllerError('stopped', `${verb} ${kind}: the reconcile was aborted`);
    }
    if (this.options.mayWrite && !this.options.mayWrite()) {
      throw new ControllerError('not-leader', `${verb} ${kind}: this replica is not the leader`);
    }
    this.options.onWrite?.(verb, kind);
  }
}

/** The watched kind of an object, checked against its apiVersion. */
function kindOf(object: KubeObject): Kind {
  const kind = object.kind as Kind;
  const info = Object.hasOwn(kindInfo, kind) ? kindInfo[kind] : undefined;
  const expected = info && (info.group === '' ? info.version : `${info.group}/${info.version}`);
  if (!info || object.apiVersion !== expected) {
    throw new ControllerError(
      'api-request',
      `apply: ${object.apiVersion} ${object.kind} is not a kind the controller writes`,
    );
  }
  return kind;
}
