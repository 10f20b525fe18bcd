import type { Logger } from 'pino';
import * as health from '@aigw/proto/health';
import { GrpcHealth } from './grpc-health.js';
import type { GrpcService } from './grpc-service.js';
import { GrpcStatusError, grpcCode, H2GrpcServer, type H2ServerCall } from './h2-grpc.js';

/** Options of {@link startH2GrpcService}. */
export interface H2GrpcServiceOptions {
  readonly address: string;
  readonly log: Logger;
  /** Fully-qualified service names reported SERVING by gRPC health besides the server itself. */
  readonly healthServices?: readonly string[];
  /** Registers the app's own methods. */
  readonly register?: (server: H2GrpcServer) => void;
  /** How long a graceful stop may wait for in-flight calls (streams) to end. */
  readonly drainTimeoutMs?: number;
  /** Largest request message accepted; default 64 MiB. */
  readonly maxReceiveMessageLength?: number;
}

/** A started lean gRPC service: where it listens, its health, and a graceful `close()`. */
export interface H2GrpcService extends GrpcService {
  readonly server: H2GrpcServer;
}

/**
 * {@link startGrpcService}'s counterpart on {@link H2GrpcServer} (`node:http2`, no grpc-js): the
 * app's methods plus `grpc.health.v1.Health` (`Check`, `Watch`). `close()` reports NOT_SERVING,
 * ends the health watches, sends GOAWAY and waits for in-flight calls, then cancels stragglers.
 */
export async function startH2GrpcService(options: H2GrpcServiceOptions): Promise<H2GrpcService> {
  const { log } = options;
  const server = new H2GrpcServer({
    ...(options.maxReceiveMessageLength === undefined
      ? {}
      : { maxReceiveMessageLength: options.maxReceiveMessageLength }),
    onHandlerError: (err, path) => {
      log.error({ err, method: path }, 'gRPC handler failed');
    },
  });
  const grpcHealth = new GrpcHealth(options.healthServices);
  const watches = addHealth(server, grpcHealth);
  options.register?.(server);
  const bound = await server.listen(options.address);
  log.info({ address: bound.address }, 'gRPC server listening');
  return {
    bound,
    health: grpcHealth,
    server,
    close: async () => {
      grpcHealth.shutdown();
      // A watch lasts as long as its client wants: it would hold the drain to its deadline.
      for (const call of watches)
        call.end({ code: grpcCode.UNAVAILABLE, details: 'shutting down' });
      watches.clear();
      await server.close(options.drainTimeoutMs ?? 15_000);
      log.info('gRPC server stopped');
    },
  };
}

type WatchCall = H2ServerCall<health.HealthCheckResponse>;

/** Serves `grpc.health.v1.Health` from `grpcHealth`; returns the open `Watch` calls. */
function addHealth(server: H2GrpcServer, grpcHealth: GrpcHealth): Set<WatchCall> {
  const watches = new Set<WatchCall>();
  server.addUnary(health.HealthService.check, (request) => {
    const servingStatus = grpcHealth.statusOf(request.service);
    if (servingStatus === undefined) {
      throw new GrpcStatusError(grpcCode.NOT_FOUND, `unknown service "${request.service}"`);
    }
    return { status: servingStatus };
  });
  server.addServerStreaming(health.HealthService.watch, (request, call) => {
    watches.add(call);
    const unsubscribe = grpcHealth.subscribe(request.service, (servingStatus) => {
      call.write({ status: servingStatus });
    });
    call.signal.addEventListener('abort', () => {
      unsubscribe();
      watches.delete(call);
    });
  });
  return watches;
}
