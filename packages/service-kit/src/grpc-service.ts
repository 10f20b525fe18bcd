import type { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { GrpcHealth } from './grpc-health.js';
import {
  bindGrpcServer,
  createGrpcServer,
  shutdownGrpcServer,
  type BoundAddress,
} from './grpc-server.js';
import type { Service } from './run-service.js';

/** Options of {@link startGrpcService}. */
export interface GrpcServiceOptions {
  readonly address: string;
  readonly log: Logger;
  /** Fully-qualified service names reported SERVING by gRPC health besides the server itself. */
  readonly healthServices?: readonly string[];
  /** Registers the app's own services. */
  readonly register?: (server: Server) => void;
  /** How long a graceful stop may wait for in-flight calls (streams) to end. */
  readonly drainTimeoutMs?: number;
}

/**
 * A started gRPC service, whatever its transport (grpc-js here, `node:http2` in
 * `startH2GrpcService`): where it listens, its health, and a graceful `close()`.
 */
export interface GrpcService extends Service {
  readonly bound: BoundAddress;
  readonly health: GrpcHealth;
}

/** A {@link GrpcService} on grpc-js, with its server. */
export interface GrpcJsService extends GrpcService {
  readonly server: Server;
}

/**
 * Starts a grpc-js server with the app's services plus `grpc.health.v1.Health`. The apps serve on
 * `startH2GrpcService` (half the CPU per call); this stays for grpc-js-only features. `close()` first
 * reports NOT_SERVING, then waits for in-flight calls, then cancels stragglers.
 */
export async function startGrpcService(options: GrpcServiceOptions): Promise<GrpcJsService> {
  const server = createGrpcServer();
  const health = new GrpcHealth(options.healthServices);
  health.addToServer(server);
  options.register?.(server);
  const bound = await bindGrpcServer(server, options.address);
  options.log.info({ address: bound.address }, 'gRPC server listening');
  return {
    bound,
    health,
    server,
    close: async () => {
      health.shutdown();
      await shutdownGrpcServer(server, options.drainTimeoutMs ?? 15_000);
      options.log.info('gRPC server stopped');
    },
  };
}
