import type { Logger } from '@aigw/service-kit/core';
import { isControllerError } from './errors.js';
import type { KubeClient } from './kube-client.js';

/** Options of {@link LeaderElector}; durations default to client-go's (15 s / 10 s / 2 s). */
export interface LeaderElectionOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease; default `envoy-ai-gateway-controller` (upstream's LeaderElectionID). */
  readonly name?: string;
  /** This replica's identity (unique per process). */
  readonly identity: string;
  /** How long a lease is valid after its last renewal, as seen by the others. */
  readonly leaseDurationMs?: number;
  /** The leader steps down when it could not renew for this long. */
  readonly renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. */
  readonly retryPeriodMs?: number;
  /** Called on becoming the leader. */
  readonly onStartedLeading: () => void;
  /** Called on losing (or giving up) leadership. */
  readonly onStoppedLeading: () => void;
  /** Called with every change of leadership (metrics). */
  readonly onLeaderChange?: (isLeader: boolean) => void;
}

/** The default Lease name, upstream's `LeaderElectionID`. */
export const defaultLeaseName = 'envoy-ai-gateway-controller';

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** A Kubernetes MicroTime: RFC 3339 with six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection`: a
 * candidate takes the lease when it is free or when its record has not changed for
 * `leaseDuration` by the candidate's own clock (so clock skew between replicas does not matter);
 * the leader renews every `retryPeriod` and steps down when renewals fail for `renewDeadline`, or
 * at once when the Lease names another holder. Writes use the Lease's resourceVersion, so two
 * candidates never both win. `stop({ release: true })` empties the holder so a standby takes over
 * at its next attempt instead of waiting out the lease.
 */
export class LeaderElector {
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private isStopped = false;
  private leading = false;
  private lastRenew = 0;
  private observed: string | undefined;
  private observedAt = 0;
  private lease: Lease | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.name = options.name ?? defaultLeaseName;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  /** Whether this replica holds the lease now. */
  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.options.identity;
  }

  /** Starts campaigning; returns at once. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops campaigning and leading. With `release`, a held lease is given up at once (graceful
   * shutdown); without, it simply expires (what a crash looks like to the others).
   */
  async stop(options: { release: boolean }): Promise<void> {
    this.isStopped = true;
    this.wake?.();
    await this.loop;
    const wasLeading = this.leading;
    this.setLeading(false);
    if (wasLeading && options.release) await this.release();
  }

  private async run(): Promise<void> {
    while (!this.isStopped) {
      const now = Date.now();
      let acquired = false;
      try {
        acquired = await this.tryAcquireOrRenew(now);
      } catch (err) {
        this.options.log.warn({ err, lease: this.name }, 'leader election: lease request failed');
      }
      if (this.hasStopped()) break;
      if (acquired) {
        this.lastRenew = now;
        if (!this.leading) this.setLeading(true);
      } else if (this.leading) {
        const heldByOther = this.holder() !== undefined && this.holder() !== this.identity;
        if (heldByOther || Date.now() - this.lastRenew >= this.renewDeadlineMs)
          this.setLeading(false);
      }
      // Candidates add jitter (client-go's factor 1.2) so standbys do not retry in lockstep.
      const delay = this.leading
        ? this.retryPeriodMs
        : this.retryPeriodMs * (1 + Math.random() * 1.2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Read through a method: `stop()` flips the flag while `run()` awaits. */
  private hasStopped(): boolean {
    return this.isStopped;
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.options.log.info(
      { lease: this.name, identity: this.identity },
      leading ? 'became leader' : 'stopped leading',
    );
    this.options.onLeaderChange?.(leading);
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private holder(): string | undefined {
    return this.lease?.spec?.holderIdentity ?? undefined;
  }

  private path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const desired = (old: LeaseSpec | undefined): LeaseSpec => {
      const isMine = old?.holderIdentity === this.identity;
      return {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: isMine ? (old.acquireTime ?? microTime(now)) : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (old?.leaseTransitions ?? 0) + (isMine || !old?.holderIdentity ? 0 : 1),
      };
    };
    try {
      this.lease = await this.options.client.request<Lease>({
        path: this.path(this.name),
        timeoutMs: this.renewDeadlineMs,
      });
    } catch (err) {
      if (!(isControllerError(err) && err.code === 'not-found')) throw err;
      return this.write('POST', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.options.namespace },
        spec: desired(undefined),
      });
    }
    const spec = this.lease.spec ?? {};
    const fingerprint = JSON.stringify([
      spec.holderIdentity,
      spec.renewTime,
      spec.leaseTransitions,
    ]);
    if (fingerprint !== this.observed) {
      this.observed = fingerprint;
      this.observedAt = now;
    }
    const holder = spec.holderIdentity ?? '';
    const validFor = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedAt + validFor > now) return false;
    return this.write('PUT', { ...this.lease, spec: desired(spec) });
  }

  /** Creates or updates the Lease; a conflict (someone else wrote first) is a lost round. */
  private async write(method: 'POST' | 'PUT', lease: Lease): Promise<boolean> {
    try {
      this.lease = await this.options.client.request<Lease>({
        method,
        path: method === 'POST' ? this.path() : this.path(this.name),
        body: lease,
        timeoutMs: this.renewDeadlineMs,
      });
    } catch (err) {
      if (isControllerError(err) && (err.code === 'conflict' || err.code === 'gone')) return false;
      if (isControllerError(err) && err.status === 409) return false;
      throw err;
    }
    const spec = this.lease.spec ?? {};
    this.observed = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    this.observedAt = Date.now();
    return true;
  }

  /** Empties the holder (client-go's ReleaseOnCancel) so a standby need not wait for expiry. */
  private async release(): Promise<void> {
    if (!this.lease || this.holder() !== this.identity) return;
    const now = microTime(Date.now());
    try {
      await this.options.client.request<Lease>({
        method: 'PUT',
        path: this.path(this.name),
        body: {
          ...this.lease,
          spec: {
            ...this.lease.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
          },
        },
        timeoutMs: this.renewDeadlineMs,
      });
      this.options.log.info({ lease: this.name }, 'released leader lease');
    } catch (err) {
      this.options.log.warn({ err, lease: this.name }, 'could not release the leader lease');
    }
  }
}
