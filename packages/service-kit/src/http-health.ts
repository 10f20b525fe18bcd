import type { FastifyInstance } from 'fastify';

/** Readiness as the app sees it; liveness is implied by the process answering at all. */
export interface HttpHealthOptions {
  readonly isReady: () => boolean;
}

/**
 * Adds `GET /healthz` (liveness: 200 while the event loop answers) and `GET /readyz` (200 when
 * ready, 503 otherwise) to a fastify app, the probe paths Kubernetes manifests expect.
 */
export function registerHealthRoutes(app: FastifyInstance, options: HttpHealthOptions): void {
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', (_request, reply) => {
    const ready = options.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
}
