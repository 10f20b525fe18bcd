import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyCrds,
  findRepoRoot,
  thirdPartyCrdFiles,
  waitFor,
  type KubeApiServer,
} from '@aigw/testkit';
import { parseAllDocuments } from 'yaml';
import { watchedKinds, type Kind, type KubeObject } from '../../src/runtime/contracts.js';
import { startController, type Controller } from '../../src/runtime/controller.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { ControllerMetrics } from '../../src/runtime/metrics.js';
import { groupVersionPath } from '../../src/runtime/paths.js';
import { createReconcilers } from '../../src/reconcilers/reconcilers.js';
import type { ReconcilerOptions } from '../../src/reconcilers/options.js';
import { kubeConfigFor, testLogger } from './kube.js';

const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the tests inside the repository');
  })();

/** A file of the repository. */
export function repoPath(...parts: string[]): string {
  return join(root, ...parts);
}

/** Our CRDs plus the Gateway API and Envoy Gateway CRDs the reconcilers read and write. */
export async function applyReconcilerCrds(kube: KubeApiServer): Promise<void> {
  const ours = readdirSync(repoPath('deploy/crds')).map((f) => repoPath('deploy/crds', f));
  const wanted =
    /_(gatewayclasses|gateways|httproutes|referencegrants|backendtlspolicies|backends|httproutefilters)\.yaml$/;
  const theirs = thirdPartyCrdFiles().filter((f) => wanted.test(f));
  await applyCrds(kube, [...ours, ...theirs], { timeoutMs: 180_000 });
}

/** Every document of a YAML text that is an object. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter((o): o is KubeObject => typeof o === 'object' && o !== null);
}

/** Plural and scope of the kinds the tests create (ours come from the CRDs' conventions). */
const plurals: Readonly<Record<string, { plural: string; isClusterScoped?: boolean }>> = {
  AIGatewayRoute: { plural: 'aigatewayroutes' },
  AIServiceBackend: { plural: 'aiservicebackends' },
  BackendSecurityPolicy: { plural: 'backendsecuritypolicies' },
  GatewayConfig: { plural: 'gatewayconfigs' },
  QuotaPolicy: { plural: 'quotapolicies' },
  GatewayClass: { plural: 'gatewayclasses', isClusterScoped: true },
  Gateway: { plural: 'gateways' },
  HTTPRoute: { plural: 'httproutes' },
  HTTPRouteFilter: { plural: 'httproutefilters' },
  ReferenceGrant: { plural: 'referencegrants' },
  BackendTLSPolicy: { plural: 'backendtlspolicies' },
  Backend: { plural: 'backends' },
  Secret: { plural: 'secrets' },
  ConfigMap: { plural: 'configmaps' },
  Service: { plural: 'services' },
  Deployment: { plural: 'deployments' },
  DaemonSet: { plural: 'daemonsets' },
  Role: { plural: 'roles' },
  RoleBinding: { plural: 'rolebindings' },
  Namespace: { plural: 'namespaces', isClusterScoped: true },
};

/** The API path of an object given its apiVersion, kind, namespace (default `default`) and name. */
export function pathOf(object: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}): string {
  const info = plurals[object.kind];
  if (!info) throw new Error(`reconcile-kit: unknown kind ${object.kind}`);
  const [group, version] = object.apiVersion.includes('/')
    ? (object.apiVersion.split('/') as [string, string])
    : ['', object.apiVersion];
  const base = groupVersionPath(group, version);
  const namespace = info.isClusterScoped
    ? ''
    : `/namespaces/${object.metadata.namespace ?? 'default'}`;
  return `${base}${namespace}/${info.plural}/${object.metadata.name}`;
}

/** Server-side applies each object as the user (`kubectl apply --server-side`). */
export async function applyObjects(client: KubeClient, objects: readonly object[]): Promise<void> {
  for (const object of objects) {
    await client.request({
      method: 'PATCH',
      path: pathOf(object as KubeObject),
      query: { fieldManager: 'test-user', force: true },
      body: object,
      contentType: 'application/apply-patch+yaml',
    });
  }
}

/**
 * Creates each object as `kubectl create` does: fields the CRD does not know are pruned (upstream's
 * examples carry some, which a server-side apply refuses).
 */
export async function createObjects(client: KubeClient, objects: readonly object[]): Promise<void> {
  for (const object of objects) {
    const path = pathOf(object as KubeObject);
    await client.request({
      method: 'POST',
      path: path.slice(0, path.lastIndexOf('/')),
      body: object,
    });
  }
}

/** Reads one object; undefined when absent. */
export async function readObject(
  client: KubeClient,
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
): Promise<KubeObject | undefined> {
  try {
    return await client.request<KubeObject>({ path: pathOf(object) });
  } catch (err) {
    if ((err as { code?: string }).code === 'not-found') return undefined;
    throw err;
  }
}

/** Deletes one object (waits for nothing). */
export async function deleteObject(
  client: KubeClient,
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
): Promise<void> {
  await client.request({ method: 'DELETE', path: pathOf(object) });
}

/** The one `Accepted` condition of an object's status, if any. */
export function acceptedOf(object: KubeObject | undefined): Record<string, unknown> | undefined {
  const conditions = (object?.status as { conditions?: Record<string, unknown>[] } | undefined)
    ?.conditions;
  return conditions?.find((c) => c['type'] === 'Accepted');
}

/**
 * Waits until the object's status holds one `Accepted` condition with `status` for its current
 * generation, and returns that condition.
 */
export async function waitForAccepted(
  client: KubeClient,
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
  status: 'True' | 'False',
): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const stored = await readObject(client, object);
      const condition = acceptedOf(stored);
      return condition?.['status'] === status &&
        condition['observedGeneration'] === stored?.metadata.generation
        ? condition
        : undefined;
    },
    {
      timeoutMs: 30_000,
      description: `${object.kind} ${object.metadata.name} Accepted=${status}`,
    },
  );
}

/** The kinds the reconciler tests watch: every kind the controller watches. */
export const reconciledKinds: readonly Kind[] = watchedKinds;

/** The fixed clock of the tests' `lastTransitionTime`s. */
export const testNow = new Date('2026-12-01T10:00:00Z');

/** Metrics that also remember every write the reconcilers sent (`verb Kind`). */
export class RecordingMetrics extends ControllerMetrics {
  readonly writes: string[] = [];

  override write(verb: string, kind: string): void {
    this.writes.push(`${verb} ${kind}`);
    super.write(verb, kind);
  }
}

/** The real controller runtime running our reconcilers against the test API server. */
export async function startReconcilers(
  kube: KubeApiServer,
  options: ReconcilerOptions = {},
): Promise<{ controller: Controller; metrics: RecordingMetrics }> {
  const metrics = new RecordingMetrics({
    leaseName: 'envoy-ai-gateway-controller',
    withProcessMetrics: false,
  });
  const controller = startController({
    reconcilers: createReconcilers({ now: () => testNow, ...options }),
    kubeConfig: kubeConfigFor(kube),
    log: testLogger(),
    kinds: reconciledKinds,
    resyncMs: 0,
    metrics,
  });
  await controller.whenSynced();
  return { controller, metrics };
}

/** `data` of a Secret, decoded. */
export function decodedData(secret: KubeObject | undefined): Record<string, string> {
  const data = (secret?.['data'] ?? {}) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/**
 * The Deployment Envoy Gateway creates for a Gateway's Envoy proxies, labelled with its owning
 * Gateway (no kubelet runs its pods in these tests).
 */
export function proxyDeployment(options: {
  readonly name: string;
  readonly namespace: string;
  readonly gateway: { readonly namespace: string; readonly name: string };
  readonly serviceAccount: string;
}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: {
        'gateway.envoyproxy.io/owning-gateway-name': options.gateway.name,
        'gateway.envoyproxy.io/owning-gateway-namespace': options.gateway.namespace,
      },
    },
    spec: {
      selector: { matchLabels: { app: 'envoy' } },
      template: {
        metadata: { labels: { app: 'envoy' } },
        spec: {
          serviceAccountName: options.serviceAccount,
          containers: [{ name: 'envoy', image: 'envoy' }],
        },
      },
    },
  };
}
