import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { RateLimiter } from './limiter/rate-limiter.js';
import type { CounterStore } from './store/counter-store.js';

/** A started metrics endpoint. */
export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Plain HTTP on `host:port`: `/metrics` (Prometheus text from `prom-client`: service and per-rule
 * counters, store health, process metrics) and `/healthz` (200 while the store is up, 503
 * otherwise).
 */
export async function startMetricsServer(options: {
  address: string;
  limiter: RateLimiter;
  store: CounterStore;
  log: Logger;
}): Promise<MetricsServer> {
  const { limiter, store } = options;
  // prom-client loads only here, with --metrics-address.
  const { RateLimitMetrics } = await import('./prometheus.js');
  const metrics = new RateLimitMetrics(limiter.stats, () => store.health() === 'up');
  const server: Server = createServer((request, response) => {
    if (request.url === '/metrics') {
      metrics.text().then(
        ({ contentType, body }) => {
          response.writeHead(200, { 'content-type': contentType }).end(body);
        },
        (err: unknown) => {
          options.log.error({ err }, 'metrics failed');
          response.writeHead(500).end();
        },
      );
      return;
    }
    if (request.url === '/healthz') {
      const up = store.health() === 'up';
      response
        .writeHead(up ? 200 : 503, { 'content-type': 'text/plain' })
        .end(up ? 'ok\n' : 'store down\n');
      return;
    }
    response.writeHead(404).end();
  });
  const separator = options.address.lastIndexOf(':');
  const host = options.address.slice(0, separator) || '0.0.0.0';
  const port = Number(options.address.slice(separator + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve();
    });
  });
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  options.log.info({ address: `${host}:${String(boundPort)}` }, 'metrics listening');
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
