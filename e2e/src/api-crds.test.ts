import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kinds, validateResource } from '@aigw/api';
import {
  applyCrds,
  findRepoRoot,
  kubeRequest,
  useHarness,
  type KubeApiServer,
} from '@aigw/testkit';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The aigateway.envoyproxy.io CRDs on a real kube-apiserver + etcd: the same tables of valid and
 * invalid CRs that packages/api checks offline are sent to the API server, and both must agree
 * (accepted / rejected with the expected message). Then objects written in one version are read
 * back in the other.
 */
interface Row {
  readonly name: string;
  readonly object: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  };
  readonly error?: string;
  readonly fieldValidation?: 'Strict';
  readonly offlineOnly?: string;
}

const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the e2e tests inside the repository');
  })();
const namespace = 'crd-tables';

function loadRows(kind: 'valid' | 'invalid'): Row[] {
  const dir = join(root, 'packages/api/src/testdata', kind);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => parse(readFileSync(join(dir, file), 'utf8')) as Row[]);
}

function collectionPath(object: Row['object']): string {
  const def = kinds.find((k) => k.kind === object.kind);
  if (!def) throw new Error(`unknown kind ${object.kind}`);
  return `/apis/${object.apiVersion}/namespaces/${object.metadata.namespace ?? namespace}/${def.plural}`;
}

/** Each row gets its own object name so rows never collide. */
function withName(row: Row, index: number): Row['object'] {
  return { ...row.object, metadata: { ...row.object.metadata, name: `row-${String(index)}` } };
}

const valid = loadRows('valid');
const invalid = loadRows('invalid').filter((row) => row.offlineOnly === undefined);

describe('aigateway CRDs on a real kube-apiserver', () => {
  const harness = useHarness();
  let kube: KubeApiServer;

  beforeAll(async () => {
    kube = await harness.kube();
    const crdDir = join(root, 'deploy/crds');
    const files = readdirSync(crdDir).map((file) => join(crdDir, file));
    await applyCrds(kube, files, { timeoutMs: 120_000 });
    const created = await kubeRequest(kube, '/api/v1/namespaces', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    });
    expect(created.status).toBe(201);
  }, 240_000);

  async function create(
    object: Row['object'],
    strict: boolean,
  ): Promise<{ status: number; body: string }> {
    const query = strict ? '?fieldValidation=Strict' : '';
    return kubeRequest(kube, `${collectionPath(object)}${query}`, { method: 'POST', body: object });
  }

  it.each(valid.map((row, index) => [row.name, row, index] as const))(
    'accepts the valid row %s, as the offline schema does',
    async (_name, row, index) => {
      expect(validateResource(row.object)).toMatchObject({ ok: true });
      const response = await create(withName(row, index), row.fieldValidation === 'Strict');
      expect(response.body).toContain('"kind"');
      expect(response.status).toBe(201);
    },
  );

  it.each(invalid.map((row, index) => [row.name, row, index] as const))(
    'rejects the invalid row %s with the offline message',
    async (_name, row, index) => {
      const offline = validateResource(row.object);
      expect(offline.ok).toBe(false);
      if (!offline.ok) expect(offline.errors).toContain(row.error);
      // Rows about metadata keep their own (broken) metadata; the others get a unique name.
      const object = row.error?.startsWith('metadata') ? row.object : withName(row, 10_000 + index);
      const response = await create(object, row.fieldValidation === 'Strict');
      expect([400, 422]).toContain(response.status);
      // Compare decoded text: the API server's JSON escapes characters such as & and <.
      expect((JSON.parse(response.body) as { message: string }).message).toContain(row.error);
    },
  );

  it('reads back in v1alpha1 what was written in v1beta1, and the other way round', async () => {
    const convertible = valid.filter((row) => {
      const def = kinds.find((k) => k.kind === row.object.kind);
      return def?.versions.length === 2 && row.object.kind !== 'BackendSecurityPolicy';
    });
    expect(convertible.length).toBeGreaterThan(3);
    for (const [index, row] of convertible.entries()) {
      const object = withName(row, 20_000 + index);
      const other = object.apiVersion.endsWith('v1beta1') ? 'v1alpha1' : 'v1beta1';
      const written = await create(object, false);
      expect(written.status).toBe(201);
      const path = `${collectionPath({ ...object, apiVersion: `aigateway.envoyproxy.io/${other}` })}/${object.metadata.name}`;
      const read = await kubeRequest(kube, path);
      expect(read.status).toBe(200);
      const back = read.json() as { apiVersion: string; spec: unknown };
      expect(back.apiVersion).toBe(`aigateway.envoyproxy.io/${other}`);
      const original = (JSON.parse(written.body) as { spec: unknown }).spec;
      expect(back.spec).toEqual(original);
    }
  });
});
