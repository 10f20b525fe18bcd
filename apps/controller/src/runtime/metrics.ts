import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Kind } from './contracts.js';
import type { InformerState } from './informer.js';
import type { QueueObserver } from './queue.js';

/**
 * The controller's Prometheus series. Names follow controller-runtime's (what upstream's
 * controller exports and its dashboards read): `controller_runtime_reconcile_*` labelled by
 * `controller` (the kind), `workqueue_*` labelled by `name`, `leader_election_master_status`.
 */
export class ControllerMetrics {
  readonly registry: Registry;
  private readonly reconcileTotal: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly queueDepth: Gauge<'name'>;
  private readonly queueAdds: Counter<'name'>;
  private readonly queueRetries: Counter<'name'>;
  private readonly leaderStatus: Gauge<'name'>;
  private readonly informerSynced: Gauge<'kind'>;
  private readonly cacheObjects: Gauge<'kind'>;
  private readonly writesTotal: Counter<'verb' | 'kind'>;
  private readonly relists: Counter<'kind' | 'reason'>;
  private readonly leaseName: string;

  constructor(options: { registry?: Registry; leaseName: string; withProcessMetrics?: boolean }) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    if (options.withProcessMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller (kind) and result.',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller (kind).',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller (kind).',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of the work queue (keys waiting to be processed).',
      labelNames: ['name'],
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by the work queue.',
      labelNames: ['name'],
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries (re-queues after an error) handled by the work queue.',
      labelNames: ['name'],
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: '1 while this replica is the leader of the named lease, else 0.',
      labelNames: ['name'],
      registers,
    });
    this.leaderStatus.set({ name: options.leaseName }, 0);
    this.informerSynced = new Gauge({
      name: 'aigw_controller_informer_synced',
      help: '1 once the informer of a kind has listed it (or found its CRD absent), else 0.',
      labelNames: ['kind'],
      registers,
    });
    this.cacheObjects = new Gauge({
      name: 'aigw_controller_cache_objects',
      help: 'Objects of each kind in the informer cache.',
      labelNames: ['kind'],
      registers,
    });
    this.writesTotal = new Counter({
      name: 'aigw_controller_writes_total',
      help: 'API writes sent by the reconcilers, by verb and kind.',
      labelNames: ['verb', 'kind'],
      registers,
    });
    this.relists = new Counter({
      name: 'aigw_controller_informer_relists_total',
      help: 'Lists after the first, by kind and reason (expired: watch answered 410 Gone).',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.leaseName = options.leaseName;
  }

  /** Counts a relist. */
  relist(kind: Kind, reason: string): void {
    this.relists.inc({ kind, reason });
  }

  /** A queue observer that records depth, adds, retries and reconcile outcomes of `kind`. */
  queueObserver(kind: Kind): QueueObserver {
    return {
      depth: (depth) => {
        this.queueDepth.set({ name: kind }, depth);
      },
      added: () => {
        this.queueAdds.inc({ name: kind });
      },
      retried: () => {
        this.queueRetries.inc({ name: kind });
      },
      processed: ({ outcome, durationMs }) => {
        this.reconcileTotal.inc({ controller: kind, result: outcome });
        if (outcome === 'error') this.reconcileErrors.inc({ controller: kind });
        this.reconcileTime.observe({ controller: kind }, durationMs / 1000);
      },
    };
  }

  /** Records leadership. */
  leader(isLeader: boolean): void {
    this.leaderStatus.set({ name: this.leaseName }, isLeader ? 1 : 0);
  }

  /** Records an informer's state. */
  informer(kind: Kind, state: InformerState): void {
    this.informerSynced.set({ kind }, state === 'pending' ? 0 : 1);
  }

  /** Records the cache size of a kind. */
  cacheSize(kind: Kind, size: number): void {
    this.cacheObjects.set({ kind }, size);
  }

  /** Counts one write. */
  write(verb: string, kind: string): void {
    this.writesTotal.inc({ verb, kind });
  }

  /** Prometheus text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
