import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { applyCrds, thirdPartyCrdFiles, useHarness, type KubeApiServer } from '@aigw/testkit';

import { helmTemplate, type KubeObject } from '../src/helm.js';
import { chartDir, crdChartDir, kustomizeDir, repoPath } from '../src/paths.js';
import { objectId, overlayValues, renderForKustomize, type OverlayName } from '../src/render.js';
import { findHelm, findKubectl, runOk } from '../src/tools.js';
import { certManagerCrds, Discovery, dryRunApply, ensureNamespaces } from './support.js';

const helm = findHelm(process.env);
const harness = useHarness();

const variants: [string, Record<string, unknown>][] = [
  ['defaults', {}],
  ['cert-manager', { webhook: { tls: { mode: 'certManager' } } }],
  ['namespaced', { controller: { watch: { namespaces: ['aigw-demo'] } } }],
  [
    'with Redis, autoscaling, rate-limit config',
    {
      ratelimit: {
        redis: { deploy: true },
        autoscaling: { enabled: true },
        config: { 'ai.yaml': 'domain: ai\n' },
      },
      extensionServer: { autoscaling: { enabled: true } },
    },
  ],
];

let kubePromise: Promise<{ kube: KubeApiServer; discovery: Discovery }> | undefined;

/** One API server for the file: our CRDs (from the CRD chart), Gateway API, Envoy Gateway, cert-manager stand-ins. */
function cluster(): Promise<{ kube: KubeApiServer; discovery: Discovery }> {
  kubePromise ??= (async () => {
    const kube = await harness.kube({ name: 'deploy' });
    const crdFiles = readdirSync(repoPath('deploy/helm/aigw-crds/files')).map((f) =>
      join(repoPath('deploy/helm/aigw-crds/files'), f),
    );
    await applyCrds(kube, [...crdFiles, ...thirdPartyCrdFiles()], { timeoutMs: 240_000 });
    for (const crd of certManagerCrds()) {
      const res = await kube.request('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        method: 'POST',
        body: crd,
      });
      expect([201, 409]).toContain(res.status);
    }
    await ensureNamespaces(kube, ['aigw-system', 'aigw-demo', 'envoy-gateway-system']);
    return { kube, discovery: new Discovery(kube) };
  })();
  return kubePromise;
}

async function applyAll(objects: readonly KubeObject[]): Promise<string[]> {
  const { kube, discovery } = await cluster();
  const errors: string[] = [];
  for (const object of objects) {
    // CRDs are served only once established: they were applied for real above.
    const error = await (object.kind === 'CustomResourceDefinition'
      ? Promise.resolve(undefined)
      : dryRunApply(kube, discovery, object));
    if (error !== undefined) errors.push(error);
  }
  return errors;
}

describe('server-side dry-run apply on a real kube-apiserver', () => {
  it('accepts every CRD of the CRD chart (applied for real)', async () => {
    const { kube, discovery } = await cluster();
    const crds = (await helmTemplate(helm, crdChartDir)).map((r) => r.object);
    for (const crd of crds) {
      expect(await dryRunApply(kube, discovery, crd)).toBeUndefined();
    }
  }, 300_000);

  it('refuses what the API server would refuse (the check is real)', async () => {
    const objects = (await helmTemplate(helm, chartDir)).map((r) => r.object);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const broken = { ...deployment, spec: { ...(deployment?.spec as object), bogusField: 1 } };
    const errors = await applyAll([broken as KubeObject]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/\.spec\.bogusField: field not declared in schema/);
  });

  it.each(variants)(
    'accepts every object of the chart rendered with %s',
    async (_name, values) => {
      const objects = (await helmTemplate(helm, chartDir, { values })).map((r) => r.object);
      expect(objects.length).toBeGreaterThan(20);
      expect(await applyAll(objects)).toEqual([]);
    },
    300_000,
  );
});

function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

function byId(objects: readonly KubeObject[]): Map<string, KubeObject> {
  return new Map(objects.map((o) => [objectId(o), o]));
}

describe('Kustomize (kubectl kustomize)', () => {
  const kubectl = findKubectl(process.env);
  const requireKubectl = (): string => {
    if (kubectl === undefined) {
      throw new Error(
        'kubectl not found: set KUBECTL_BIN or run `bash scripts/build-kube.sh` (builds kubectl into .tools/bin)',
      );
    }
    return kubectl;
  };

  it('base: exactly the chart rendered with its defaults, plus the Namespace', async () => {
    const built = byId(
      parseObjects(await runOk(requireKubectl(), ['kustomize', join(kustomizeDir, 'base')])),
    );
    const chart = (await renderForKustomize(helm)).map((r) => r.object);
    const expected = byId([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aigw-system' } },
      ...chart,
    ]);
    expect([...built.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, object] of expected) expect(built.get(id), id).toEqual(object);
  });

  it.each(Object.keys(overlayValues) as OverlayName[])(
    'overlay %s: exactly the chart rendered with the overlay values',
    async (name) => {
      const dir = join(kustomizeDir, 'overlays', name);
      const built = byId(parseObjects(await runOk(requireKubectl(), ['kustomize', dir])));
      const chart = (await renderForKustomize(helm, overlayValues[name])).map((r) => r.object);
      const expected = byId([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aigw-system' } },
        ...chart,
      ]);
      expect([...built.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [id, object] of expected) expect(built.get(id), id).toEqual(object);
      // And the API server takes it.
      expect(await applyAll([...built.values()].filter((o) => o.kind !== 'Namespace'))).toEqual([]);
    },
    300_000,
  );

  it('crds: the CRD chart', async () => {
    const built = parseObjects(
      await runOk(requireKubectl(), ['kustomize', join(kustomizeDir, 'crds')]),
    ).map((o) => o.metadata.name);
    const chart = (await helmTemplate(helm, crdChartDir)).map((r) => r.object.metadata.name);
    expect(built.sort()).toEqual(chart.sort());
  });
});
