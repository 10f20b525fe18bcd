import type { KubeApiServer } from '@aigw/testkit';

import type { KubeObject } from '../src/helm.js';

interface ApiResource {
  readonly name: string;
  readonly namespaced: boolean;
  readonly kind: string;
}

/** Maps apiVersion + kind to the REST path of one object, from the API server's discovery. */
export class Discovery {
  readonly #kube: KubeApiServer;
  readonly #cache = new Map<string, readonly ApiResource[]>();

  constructor(kube: KubeApiServer) {
    this.#kube = kube;
  }

  async path(object: KubeObject): Promise<string> {
    const base = object.apiVersion.includes('/')
      ? `/apis/${object.apiVersion}`
      : `/api/${object.apiVersion}`;
    let resources = this.#cache.get(base);
    if (resources === undefined) {
      const res = await this.#kube.request(base);
      if (res.status !== 200) {
        throw new Error(`discovery ${base}: HTTP ${String(res.status)} ${res.body}`);
      }
      resources = (res.json() as { resources: ApiResource[] }).resources;
      this.#cache.set(base, resources);
    }
    const resource = resources.find((r) => r.kind === object.kind && !r.name.includes('/'));
    if (resource === undefined) {
      throw new Error(`the API server does not serve ${object.apiVersion} ${object.kind}`);
    }
    const ns = object.metadata.namespace;
    if (resource.namespaced && ns === undefined) {
      throw new Error(`${object.kind} ${object.metadata.name} is namespaced but has no namespace`);
    }
    const scope = resource.namespaced ? `/namespaces/${ns ?? ''}` : '';
    return `${base}${scope}/${resource.name}/${object.metadata.name}`;
  }
}

/**
 * Server-side applies `object` with `dryRun=All`: the API server validates it fully (schema,
 * admission) and stores nothing. Returns the error text, or undefined when accepted.
 */
export async function dryRunApply(
  kube: KubeApiServer,
  discovery: Discovery,
  object: KubeObject,
): Promise<string | undefined> {
  const path = await discovery.path(object);
  const res = await kube.request(
    `${path}?dryRun=All&fieldManager=aigw-deploy-test&force=true&fieldValidation=Strict`,
    {
      method: 'PATCH',
      body: object,
      contentType: 'application/apply-patch+yaml',
      timeoutMs: 30_000,
    },
  );
  if (res.status === 200 || res.status === 201) return undefined;
  return `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}: HTTP ${String(res.status)} ${res.body}`;
}

/** Creates namespaces for real (dry-run objects need their namespace to exist). */
export async function ensureNamespaces(
  kube: KubeApiServer,
  names: readonly string[],
): Promise<void> {
  for (const name of names) {
    const res = await kube.request('/api/v1/namespaces', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(`create namespace ${name}: HTTP ${String(res.status)} ${res.body}`);
    }
  }
}

/** Minimal cert-manager CRDs (Issuer, Certificate; any spec) so the cert-manager variant applies. */
export function certManagerCrds(): object[] {
  return ['Issuer', 'Certificate', 'ClusterIssuer'].map((kind) => {
    const plural = `${kind.toLowerCase()}s`;
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.cert-manager.io` },
      spec: {
        group: 'cert-manager.io',
        names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        scope: kind === 'ClusterIssuer' ? 'Cluster' : 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            },
          },
        ],
      },
    };
  });
}
