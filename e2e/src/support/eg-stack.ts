import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { health } from '@aigw/proto';
import { findRepoRoot, spawnManaged, type ManagedProcess } from '@aigw/testkit';
import { parseAllDocuments, stringify } from 'yaml';

const run = promisify(execFile);

export const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the e2e tests inside the repository');
  })();

/** An app started from its build (`apps/<app>/dist/bin.js`), ready when its gRPC health says SERVING. */
export async function startGrpcApp(options: {
  readonly app: 'extension-server' | 'extproc' | 'ratelimit';
  readonly name: string;
  /** The address its health is checked on (`127.0.0.1:port` or `unix:/path`). */
  readonly healthTarget: string;
  readonly args: readonly string[];
}): Promise<ManagedProcess> {
  const bin = join(root, 'apps', options.app, 'dist', 'bin.js');
  const proc = await spawnManaged(process.execPath, [bin, ...options.args], {
    name: options.name,
    cwd: root,
  });
  const client = new health.HealthClient(options.healthTarget, credentials.createInsecure());
  try {
    await proc.untilReady(
      () =>
        new Promise<boolean>((resolve) => {
          client.check({ service: '' }, (err: ServiceError | null, response) => {
            resolve(!err && response.status === health.HealthCheckResponse_ServingStatus.SERVING);
          });
        }),
      { timeoutMs: 20_000, description: `${options.name} gRPC health SERVING` },
    );
  } finally {
    client.close();
  }
  return proc;
}

/** A Kubernetes-style object as YAML parses it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[] | undefined;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export const parseObjects = (text: string): KubeObject[] =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);

export const objectsToYaml = (objects: readonly object[]): string =>
  objects.map((o) => stringify(o)).join('---\n');

/** What `aigw translate` (the controller's generation) makes of `file`, as objects. */
export async function aigwTranslate(file: string): Promise<KubeObject[]> {
  const { stdout } = await run(process.execPath, [
    join(root, 'apps', 'aigw', 'dist', 'bin.js'),
    'translate',
    file,
  ]);
  return parseObjects(stdout);
}

/** The kinds Envoy Gateway's File provider reads. */
const envoyGatewayKinds = new Set([
  'GatewayClass',
  'Gateway',
  'HTTPRoute',
  'HTTPRouteFilter',
  'Backend',
  'EnvoyProxy',
]);

/**
 * The objects Envoy Gateway gets: the Gateway API and Envoy Gateway ones (no AIGateway CRs, no
 * Secrets, no BackendTrafficPolicies: their token budgets go to apps/ratelimit through the extension
 * server, not to Envoy Gateway's own rate limiting).
 */
export const forEnvoyGateway = (objects: readonly KubeObject[]): KubeObject[] =>
  objects.filter((o) => envoyGatewayKinds.has(o.kind));

/** The extproc config `aigw translate` put in the legacy Secret (`<gateway>-<namespace>`). */
export function filterConfigOf(objects: readonly KubeObject[]): string {
  const secret = objects.find(
    (o) => o.kind === 'Secret' && o.data?.['filter-config.yaml'] !== undefined,
  );
  const data = secret?.data?.['filter-config.yaml'];
  if (data === undefined) throw new Error('aigw translate produced no filter-config Secret');
  return Buffer.from(data, 'base64').toString('utf8');
}
