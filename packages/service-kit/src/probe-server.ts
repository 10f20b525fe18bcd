import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logger.js';

/** A Prometheus exposition: its content type and text. */
export interface MetricsText {
  readonly contentType: string;
  readonly body: string;
}

/** Options of {@link startProbeServer}. */
export interface ProbeServerOptions {
  readonly host: string;
  /** 0 picks a free port (see {@link ProbeServer.port}). */
  readonly port: number;
  readonly log: Logger;
  /** Readiness; the readiness paths answer 503 until it is true, and once closing. */
  readonly isReady: () => boolean;
  /**
   * The paths answering readiness (default `['/readyz']`, the Kubernetes convention; the
   * extproc's is upstream's `/health`).
   */
  readonly readinessPaths?: readonly string[];
  /** The Prometheus exposition of `GET /metrics`; without it `/metrics` is 404. */
  readonly metrics?: () => Promise<MetricsText>;
}

/** A started probe server. */
export interface ProbeServer {
  /** The bound port (useful when asked for port 0). */
  readonly port: number;
  /** Readiness turns false at once, then the server stops accepting and closes idle sockets. */
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/**
 * A small HTTP server for the kubelet and Prometheus, on `node:http` (fastify costs ~25 MiB of
 * RSS in a process that serves nothing else over HTTP): `GET /healthz` (liveness: 200 while the
 * event loop answers), the readiness paths (200 `{"status":"ready"}` when ready, else 503
 * `{"status":"not ready"}`) and, when given, `GET /metrics`. `HEAD` is answered like `GET`
 * without a body; any other method is 405, any other path 404 — the same answers as
 * `registerHealthRoutes` on fastify.
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  let isClosing = false;
  const readinessPaths = new Set(options.readinessPaths ?? ['/readyz']);
  const { metrics } = options;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, { status: 'method not allowed' });
    } else if (path === '/healthz') {
      send(response, 200, { status: 'ok' });
    } else if (readinessPaths.has(path)) {
      const ready = !isClosing && options.isReady();
      send(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    } else if (path === '/metrics' && metrics) {
      const { contentType, body } = await metrics();
      response.writeHead(200, { 'content-type': contentType });
      response.end(body);
    } else {
      send(response, 404, { status: 'not found' });
    }
  };
  // node:http costs about 5 MiB: loaded only by a process that serves probes.
  const { createServer } = await import('node:http');
  const server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => {
      options.log.error({ err, path: request.url }, 'probe request failed');
      if (!response.headersSent) send(response, 500, { status: 'error' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: async () => {
      isClosing = true;
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
