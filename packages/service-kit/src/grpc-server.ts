import { rm } from 'node:fs/promises';
import { Server, ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import { normalizeListenAddress, type BoundAddress } from './grpc-address.js';

export { normalizeListenAddress, type BoundAddress } from './grpc-address.js';

/**
 * Binds a gRPC server without TLS (it is reached over a Unix socket or a cluster-internal port).
 * A stale Unix socket file from a previous run is removed first, or the bind would fail.
 */
export async function bindGrpcServer(server: Server, address: string): Promise<BoundAddress> {
  const normalized = normalizeListenAddress(address);
  if (normalized.startsWith('unix:')) await rm(normalized.slice('unix:'.length), { force: true });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(normalized, ServerCredentials.createInsecure(), (err, boundPort) => {
      if (err) reject(err);
      else resolve(boundPort);
    });
  });
  if (normalized.startsWith('unix:')) return { address: normalized, port: 0 };
  const host = normalized.slice(0, normalized.lastIndexOf(':'));
  return { address: `${host}:${String(port)}`, port };
}

/** Creates a grpc-js server with limits suited to LLM payloads (bodies of several MB). */
export function createGrpcServer(options: ServerOptions = {}): Server {
  return new Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    ...options,
  });
}

/**
 * Stops accepting new calls and waits for in-flight calls to finish, up to `timeoutMs`; then
 * cancels whatever is still running.
 */
export async function shutdownGrpcServer(server: Server, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
