import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parseAllDocuments } from 'yaml';

import { TestkitError } from './errors.js';
import { findRepoRoot } from './find-repo-root.js';
import { kubeRequest, type KubeTarget } from './kube-request.js';
import { waitFor } from './wait-for.js';

/** Options for {@link applyCrds}. */
export interface ApplyCrdsOptions {
  /** How long all CRDs together may take to become Established (default 60 s). */
  readonly timeoutMs?: number;
}

/** Options for {@link thirdPartyCrdFiles}. */
export interface ThirdPartyCrdOptions {
  /** Gateway API release channel (default `experimental`, the one Envoy Gateway installs). */
  readonly gatewayApiChannel?: 'standard' | 'experimental';
  /** Include Envoy Gateway's CRDs (default true). */
  readonly isEnvoyGatewayIncluded?: boolean;
}

interface CrdDocument {
  readonly kind?: unknown;
  readonly metadata?: { readonly name?: unknown; readonly resourceVersion?: unknown };
  readonly spec?: {
    readonly group?: unknown;
    readonly names?: { readonly plural?: unknown };
    readonly versions?: readonly { readonly name?: unknown; readonly served?: unknown }[];
  };
}

/** One CRD read from a file, with the list path that proves its resources are served. */
interface Crd {
  readonly name: string;
  readonly body: CrdDocument;
  readonly listPath: string;
}

interface CrdStatus {
  readonly status?: {
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
  };
}

const crdsPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/**
 * Creates (or replaces) every CustomResourceDefinition in the YAML files `paths` (multi-document
 * files allowed) and waits until each is Established, i.e. its resources are served. Returns the
 * CRD names in file order.
 *
 * @throws TestkitError `invalid-argument` for a document that is not a CRD, `kube-error` when the
 *   API server rejects one, `timeout` when one is not Established in time.
 */
export async function applyCrds(
  kube: KubeTarget,
  paths: readonly string[],
  options: ApplyCrdsOptions = {},
): Promise<string[]> {
  const crds = (await Promise.all(paths.map((path) => readCrds(path)))).flat();
  // One at a time: the biggest (EnvoyProxy, 1.3 MB) already keeps a busy API server occupied.
  for (const crd of crds) {
    await createOrReplace(kube, crd);
  }
  const names = crds.map((crd) => crd.name);
  const pending = new Set(crds);
  // Established alone is not enough: until the new resource's watch cache has initialised, lists
  // answer 429 "storage is (re)initializing". So wait for both, per CRD.
  await waitFor(
    async () => {
      for (const crd of pending) {
        if ((await isEstablished(kube, crd.name)) && (await isListable(kube, crd.listPath))) {
          pending.delete(crd);
        }
      }
      return pending.size === 0;
    },
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: 200,
      description: `CRDs ${names.join(', ')} to become Established and listable`,
    },
  );
  return names;
}

/**
 * Absolute paths of the vendored third-party CRDs in `deploy/third-party-crds/` (Gateway API and
 * Envoy Gateway, pinned by `scripts/vendor-crds.sh`), sorted.
 *
 * @throws TestkitError `invalid-argument` when the repository root or the directory is missing.
 */
export function thirdPartyCrdFiles(options: ThirdPartyCrdOptions = {}): string[] {
  const root = findRepoRoot();
  if (root === undefined) {
    throw new TestkitError(
      'invalid-argument',
      'cannot find the repository root (pnpm-workspace.yaml)',
    );
  }
  const base = join(root, 'deploy', 'third-party-crds');
  const dirs = [join(base, 'gateway-api', options.gatewayApiChannel ?? 'experimental')];
  if (options.isEnvoyGatewayIncluded !== false) {
    dirs.push(join(base, 'envoy-gateway'));
  }
  return dirs.flatMap((dir) => yamlFilesIn(dir));
}

function yamlFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((file) => file.endsWith('.yaml'))
      .sort()
      .map((file) => join(dir, file));
  } catch (err) {
    throw new TestkitError(
      'invalid-argument',
      `cannot list ${dir}: run bash scripts/vendor-crds.sh`,
      {
        cause: err,
      },
    );
  }
}

async function readCrds(path: string): Promise<Crd[]> {
  const docs = parseAllDocuments(await readFile(path, 'utf8'));
  return docs
    .map((doc) => doc.toJS() as CrdDocument | null)
    .filter((body): body is CrdDocument => body !== null)
    .map((body) => toCrd(path, body));
}

function toCrd(path: string, body: CrdDocument): Crd {
  const at = body.kind === 'CustomResourceDefinition' ? coordinates(body) : undefined;
  if (at === undefined) {
    throw new TestkitError(
      'invalid-argument',
      `${path}: every document must be a CustomResourceDefinition with a name, group, plural and a served version`,
    );
  }
  return { name: at.name, body, listPath: `/apis/${at.group}/${at.version}/${at.plural}?limit=1` };
}

function coordinates(
  body: CrdDocument,
): { name: string; group: string; version: string; plural: string } | undefined {
  const name = body.metadata?.name;
  const group = body.spec?.group;
  const plural = body.spec?.names?.plural;
  const version = body.spec?.versions?.find((v) => v.served === true)?.name;
  const isComplete =
    typeof name === 'string' &&
    typeof group === 'string' &&
    typeof plural === 'string' &&
    typeof version === 'string';
  return isComplete ? { name, group, version, plural } : undefined;
}

async function createOrReplace(kube: KubeTarget, crd: Crd): Promise<void> {
  const timeoutMs = 60_000;
  const created = await kubeRequest(kube, crdsPath, { method: 'POST', body: crd.body, timeoutMs });
  if (created.status === 409) {
    // Already there (applied by an earlier test): replace it, which needs its resourceVersion.
    const current = (await kubeRequest(kube, `${crdsPath}/${crd.name}`)).json() as CrdDocument;
    const body = {
      ...crd.body,
      metadata: { ...crd.body.metadata, resourceVersion: current.metadata?.resourceVersion },
    };
    const replaced = await kubeRequest(kube, `${crdsPath}/${crd.name}`, {
      method: 'PUT',
      body,
      timeoutMs,
    });
    assertOk(replaced, crd.name);
    return;
  }
  assertOk(created, crd.name);
}

function assertOk(res: { status: number; body: string }, name: string): void {
  if (res.status < 200 || res.status > 299) {
    throw new TestkitError(
      'kube-error',
      `CRD ${name} was rejected with HTTP ${String(res.status)}: ${res.body.slice(0, 2_000)}`,
    );
  }
}

async function isListable(kube: KubeTarget, listPath: string): Promise<boolean> {
  return (await kubeRequest(kube, listPath)).status === 200;
}

async function isEstablished(kube: KubeTarget, name: string): Promise<boolean> {
  const res = await kubeRequest(kube, `${crdsPath}/${name}`);
  if (res.status !== 200) {
    return false;
  }
  const conditions = (res.json() as CrdStatus).status?.conditions ?? [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}
