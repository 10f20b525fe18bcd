import {
  startProbeServer,
  type Logger,
  type MetricsText,
  type ProbeServer,
} from '@aigw/service-kit';

/** Options of {@link startAdminServer}. */
export interface AdminServerOptions {
  readonly host: string;
  /** 0 picks a free port ({@link ProbeServer.port} tells which). */
  readonly port: number;
  readonly log: Logger;
  /** Whether a config is in force: the condition of gRPC health SERVING. */
  readonly isServing: () => boolean;
  /** The Prometheus exposition of `GET /metrics` (the GenAI metrics); without it 404. */
  readonly metrics?: () => Promise<MetricsText>;
}

/**
 * The extproc's admin HTTP server (upstream's `-adminPort`, `cmd/extproc/mainlib/admin.go`), for
 * the kubelet: `GET /health` answers 200 `{"status":"ready"}` while the extproc serves a config
 * (exactly when its gRPC health is SERVING) and 503 `{"status":"not ready"}` before the first
 * config and once stopping; `GET /healthz` answers 200 while the process runs; `GET /metrics` the
 * GenAI metrics in Prometheus text (as upstream's). Other paths are 404, other methods than
 * GET/HEAD 405. Plain `node:http`: the
 * extproc runs once per Envoy pod, and an HTTP framework would cost more memory than it serves.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<ProbeServer> {
  const server = await startProbeServer({
    host: options.host,
    port: options.port,
    log: options.log,
    isReady: options.isServing,
    readinessPaths: ['/health'],
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  options.log.info({ host: options.host, port: server.port }, 'admin server listening');
  return server;
}
