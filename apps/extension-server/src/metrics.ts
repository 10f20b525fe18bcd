import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a hook call ended: answered, or refused with a gRPC error (Envoy Gateway keeps its last good xDS). */
export type HookResult = 'ok' | 'error';

/**
 * The extension server's Prometheus metrics, on their own registry (served at `/metrics` of
 * `--metrics-port`). Labels are bounded: the hook names of the `EnvoyGatewayExtension` service
 * and two results.
 */
export class ExtensionServerMetrics {
  readonly registry = new Registry();
  readonly #calls: Counter<'hook' | 'result'>;
  readonly #duration: Histogram<'hook'>;

  constructor(routes: () => { size: number; isSynced: boolean }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'aigw_extension_server_' });
    this.#calls = new Counter({
      name: 'aigw_extension_server_hook_calls_total',
      help: 'Envoy Gateway extension hook calls, by hook and result.',
      labelNames: ['hook', 'result'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'aigw_extension_server_hook_duration_seconds',
      help: 'Time to answer an extension hook call, by hook.',
      labelNames: ['hook'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.registry],
    });
    new Gauge({
      name: 'aigw_extension_server_ai_gateway_routes',
      help: 'AIGatewayRoutes the extension server knows (from the API server or the files).',
      registers: [this.registry],
      collect() {
        this.set(routes().size);
      },
    });
    new Gauge({
      name: 'aigw_extension_server_routes_synced',
      help: '1 once the AIGatewayRoutes were listed (or read) at least once; hooks answer UNAVAILABLE before.',
      registers: [this.registry],
      collect() {
        this.set(routes().isSynced ? 1 : 0);
      },
    });
  }

  /** Counts one hook call and its duration in seconds. */
  observe(hook: string, result: HookResult, seconds: number): void {
    this.#calls.inc({ hook, result });
    this.#duration.observe({ hook }, seconds);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
