import {
  status,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import * as healthProto from '@aigw/proto/health';
import type { Logger } from 'pino';
import type { BoundAddress } from './grpc-address.js';
import { GrpcHealth } from './grpc-health.js';
import { bindGrpcServer, createGrpcServer, shutdownGrpcServer } from './grpc-server.js';
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
  addHealthService(server, health);
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

/** Serves `health` as `grpc.health.v1.Health` on a grpc-js server. */
function addHealthService(server: Server, health: GrpcHealth): void {
  server.addService(healthProto.HealthService, {
    check: (
      call: ServerUnaryCall<healthProto.HealthCheckRequest, healthProto.HealthCheckResponse>,
      callback: sendUnaryData<healthProto.HealthCheckResponse>,
    ) => {
      const servingStatus = health.statusOf(call.request.service);
      if (servingStatus === undefined) {
        callback({ code: status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        return;
      }
      callback(null, { status: servingStatus });
    },
    watch: (
      call: ServerWritableStream<healthProto.HealthCheckRequest, healthProto.HealthCheckResponse>,
    ) => {
      const unsubscribe = health.subscribe(call.request.service, (servingStatus) =>
        call.write({ status: servingStatus }),
      );
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
    },
  } satisfies healthProto.HealthServer);
}
