import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '@aigw/service-kit/core';

/** Options of {@link startProbeServer}. */
export interface ProbeServerOptions {
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  /** Readiness (caches synced); `/readyz` answers 503 until then and once closing. */
  readonly isReady: () => boolean;
  /** The Prometheus exposition of `/metrics`. */
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
}

/** A started probe server. */
export interface ProbeServer {
  /** The bound port (useful when asked for port 0). */
  readonly port: number;
  /** Readiness turns false at once, then the server stops accepting and closes idle sockets. */
  close(): Promise<void>;
}

/**
 * The controller's HTTP server: `GET /healthz` (200 while the event loop answers), `GET /readyz`
 * (200 when ready, else 503) and `GET /metrics`, with the same answers as `@aigw/service-kit`'s
 * `startHttpService`, on `node:http`: the controller serves nothing else, and fastify costs
 * ~25 MiB of RSS.
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  let isClosing = false;
  const send = (response: ServerResponse, status: number, body: object): void => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(body));
  };
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, { status: 'method not allowed' });
    } else if (path === '/healthz') {
      send(response, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const ready = !isClosing && options.isReady();
      send(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    } else if (path === '/metrics') {
      const { contentType, body } = await options.metrics();
      response.writeHead(200, { 'content-type': contentType });
      response.end(body);
    } else {
      send(response, 404, { status: 'not found' });
    }
  };
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
