import { credentials } from '@grpc/grpc-js';
import { health } from '@aigw/proto';

/**
 * Whether the gRPC server at `target` (`host:port` or `unix:/path`) answers `grpc.health.v1`
 * `Check` with SERVING for the whole server; false when it answers otherwise or not at all (a
 * readiness probe for `untilReady`/`waitFor`).
 */
export async function grpcServing(target: string): Promise<boolean> {
  const client = new health.HealthClient(target, credentials.createInsecure());
  try {
    const response = await new Promise<health.HealthCheckResponse>((resolve, reject) => {
      client.check({ service: '' }, (err, value) => {
        if (err) reject(err);
        else resolve(value);
      });
    });
    return response.status === health.HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  } finally {
    client.close();
  }
}
