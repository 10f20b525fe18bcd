import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerHealthRoutes } from './http-health.js';
import type { Service } from './run-service.js';

/** Options of {@link startHttpService}. */
export interface HttpServiceOptions {
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  /** Adds the app's own routes before the server listens. */
  readonly register?: (app: FastifyInstance) => void;
  /**
   * The app's own readiness (e.g. caches synced), combined with the server's: `/readyz` answers
   * 200 only while both hold. Default: ready once listening.
   */
  readonly isReady?: () => boolean;
}

/** A started HTTP service. */
export interface HttpService extends Service {
  readonly app: FastifyInstance;
  /** The bound port (useful when asked for port 0). */
  readonly port: number;
}

/**
 * Starts a fastify server with `/healthz` and `/readyz` plus the app's routes. Readiness turns
 * false as soon as `close()` is called, so probes stop sending traffic while requests drain.
 */
export async function startHttpService(options: HttpServiceOptions): Promise<HttpService> {
  // pino's Logger is a FastifyBaseLogger; naming the base type keeps FastifyInstance's defaults.
  const loggerInstance: FastifyBaseLogger = options.log;
  // Loaded here rather than at the top: fastify is ~+27 MiB RSS, and gRPC-only services (the
  // extproc) import this package's barrel without ever serving HTTP.
  const { default: Fastify } = await import('fastify');
  const app: FastifyInstance = Fastify({ loggerInstance });
  let ready = false;
  registerHealthRoutes(app, { isReady: () => ready && (options.isReady?.() ?? true) });
  options.register?.(app);
  await app.listen({ port: options.port, host: options.host });
  ready = true;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    app,
    port,
    close: async () => {
      ready = false;
      await app.close();
    },
  };
}
