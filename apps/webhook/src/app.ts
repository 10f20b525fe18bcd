import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerHealthRoutes, type Logger } from '@aigw/service-kit';
import type { WebhookMetrics } from './metrics.js';
import { registerMutatePods, type MutatePodsOptions } from './routes/mutate-pods.js';
import type { ServingCert } from './tls/serving-cert.js';

/** The webhook's HTTPS server. */
export type WebhookApp = FastifyInstance<HttpsServer>;

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  readonly log: Logger;
  readonly cert: ServingCert;
  readonly mutate: MutatePodsOptions;
  readonly metrics: WebhookMetrics;
  readonly isReady: () => boolean;
}

/** An AdmissionReview of a large pod is a few tens of KiB; the API server caps requests at 3 MiB. */
const bodyLimit = 3 * 1024 * 1024;

/**
 * The fastify app over HTTPS: `POST /mutate`, `GET /healthz`, `/readyz`, `/metrics`. Swap the
 * certificate with {@link setServingCert} (no restart: new connections get it).
 */
export function buildApp(options: BuildAppOptions): WebhookApp {
  const loggerInstance: FastifyBaseLogger = options.log;
  const app = Fastify({
    loggerInstance,
    https: { cert: options.cert.cert, key: options.cert.key, minVersion: 'TLSv1.2' },
    bodyLimit,
  });
  registerHealthRoutes(app, { isReady: options.isReady });
  app.get('/metrics', async (_req, reply) => {
    const text = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(text);
  });
  registerMutatePods(app, options.mutate);
  return app;
}

/** Serves `cert` to new TLS connections from now on. */
export function setServingCert(app: WebhookApp, cert: ServingCert): void {
  app.server.setSecureContext({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1.2' });
}
