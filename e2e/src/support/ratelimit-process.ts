import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { health, ratelimit } from '@aigw/proto';
import { findRepoRoot, spawnManaged, type ManagedProcess } from '@aigw/testkit';

const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the e2e tests inside the repository');
  })();
const tsx = fileURLToPath(import.meta.resolve('tsx'));

/** An RLS (`apps/ratelimit`) running as its own process, plus a gRPC client to it. */
export interface RlsProcess {
  readonly process: ManagedProcess;
  /** gRPC target (`unix:/…` or `127.0.0.1:port`). */
  readonly target: string;
  shouldRateLimit(request: ratelimit.RateLimitRequest): Promise<ratelimit.RateLimitResponse>;
  stop(): Promise<void>;
}

/** Starts `apps/ratelimit/src/bin.ts` through tsx (as deployed, without a build) and waits for health. */
export async function startRls(options: {
  readonly name: string;
  /** gRPC listen address as given to `--address`. */
  readonly address: string;
  readonly args: readonly string[];
}): Promise<RlsProcess> {
  const bin = join(root, 'apps', 'ratelimit', 'src', 'bin.ts');
  const proc = await spawnManaged(
    process.execPath,
    [
      '--import',
      tsx,
      '--conditions=@aigw/source',
      bin,
      '--address',
      options.address,
      ...options.args,
    ],
    { name: options.name, cwd: root },
  );
  const target = options.address;
  const healthClient = new health.HealthClient(target, credentials.createInsecure());
  const rls = new ratelimit.RateLimitServiceClient(target, credentials.createInsecure());
  await proc.untilReady(
    () =>
      new Promise<boolean>((resolve) => {
        healthClient.check({ service: '' }, (err: ServiceError | null, response) => {
          resolve(!err && response.status === health.HealthCheckResponse_ServingStatus.SERVING);
        });
      }),
    { timeoutMs: 20_000, description: `${options.name} gRPC health SERVING` },
  );
  return {
    process: proc,
    target,
    shouldRateLimit: (request) =>
      new Promise((resolve, reject) => {
        rls.shouldRateLimit(request, (err: ServiceError | null, response) => {
          if (err) reject(err);
          else resolve(response);
        });
      }),
    stop: async () => {
      healthClient.close();
      rls.close();
      await proc.stop();
    },
  };
}

/** A check-only request (per-descriptor hits_addend 0) for one descriptor's entries. */
export function checkOnly(
  domain: string,
  entries: readonly (readonly [string, string])[],
): ratelimit.RateLimitRequest {
  return {
    domain,
    hitsAddend: 0,
    descriptors: [
      {
        entries: entries.map(([key, value]) => ({ key, value })),
        hitsAddend: 0n,
        isNegativeHits: false,
      },
    ],
  };
}
