import { request } from 'node:http';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { health } from '@aigw/proto';

const probeTimeoutMs = 2_000;

/** `true` when Envoy's admin `/ready` answers 200 (`LIVE`: initialised, listeners bound). */
export async function envoyReady(adminPort: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${String(adminPort)}/ready`, {
    signal: AbortSignal.timeout(probeTimeoutMs),
  });
  await response.body?.cancel();
  return response.status === 200;
}

/** `true` when the gRPC server at `target` reports SERVING for the whole server (`''`). */
export async function grpcServing(target: string): Promise<boolean> {
  const client = new health.HealthClient(target, credentials.createInsecure());
  try {
    const response = await new Promise<health.HealthCheckResponse>((resolve, reject) => {
      client.check(
        { service: '' },
        new Metadata(),
        { deadline: Date.now() + probeTimeoutMs },
        (err: ServiceError | null, value) => {
          if (err) reject(err);
          else resolve(value);
        },
      );
    });
    return response.status === health.HealthCheckResponse_ServingStatus.SERVING;
  } finally {
    client.close();
  }
}

/**
 * Sends `GET /` to the gateway listener and resolves with the HTTP status. Any answer proves the
 * listener is up; the router-level extproc answers 404 for this path, while a 5xx means Envoy
 * could not reach it.
 */
export function listenerStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', method: 'GET', timeout: probeTimeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${String(probeTimeoutMs)} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Names of the clusters Envoy has active, from admin `/clusters` (`name::…` lines). */
export async function activeClusters(adminPort: number): Promise<Set<string>> {
  const response = await fetch(`http://127.0.0.1:${String(adminPort)}/clusters`, {
    signal: AbortSignal.timeout(probeTimeoutMs),
  });
  const text = await response.text();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const end = line.indexOf('::');
    if (end > 0) names.add(line.slice(0, end));
  }
  return names;
}

/**
 * How many xDS updates Envoy has rejected so far (the sum of every `*.update_rejected` counter:
 * CDS, LDS and each RDS). Envoy keeps serving the previous resources of a rejected file.
 */
export async function xdsRejections(adminPort: number): Promise<number> {
  const response = await fetch(
    `http://127.0.0.1:${String(adminPort)}/stats?format=json&filter=update_rejected$`,
    { signal: AbortSignal.timeout(probeTimeoutMs) },
  );
  const body = (await response.json()) as { stats?: { name?: string; value?: unknown }[] };
  let total = 0;
  for (const stat of body.stats ?? []) {
    if (typeof stat.value === 'number') total += stat.value;
  }
  return total;
}
