import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { helmLint, helmTemplate, type KubeObject } from '../src/helm.js';
import { chartDir, crdChartDir, repoPath } from '../src/paths.js';
import { findHelm } from '../src/tools.js';

const helm = findHelm(process.env);

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  resources?: { requests?: unknown; limits?: unknown };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
}
type Deployment = KubeObject & { spec: { replicas?: number; template: { spec: PodSpec } } };

async function render(values: Record<string, unknown> = {}): Promise<KubeObject[]> {
  return (await helmTemplate(helm, chartDir, { values })).map((r) => r.object);
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) {
    throw new Error(
      `no ${kind} ${name} in: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  }
  return found;
}

function findDeployment(objects: readonly KubeObject[], name: string): Deployment {
  return find(objects, 'Deployment', name) as Deployment;
}

function withoutMetadata(object: KubeObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => key !== 'metadata'));
}

function container(objects: readonly KubeObject[], app: string): Container {
  const c = findDeployment(objects, `aigw-${app}`).spec.template.spec.containers[0];
  if (c === undefined) throw new Error(`aigw-${app} has no container`);
  return c;
}

describe('helm lint', () => {
  it.each([
    ['aigw', chartDir],
    ['aigw-crds', crdChartDir],
  ])('%s passes helm lint --strict', async (_name, dir) => {
    const report = await helmLint(helm, dir);
    expect(report).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});

describe('helm template with the default values', () => {
  it('renders one Deployment, Service, ServiceAccount and PodDisruptionBudget per app, and NetworkPolicies', async () => {
    const objects = await render();
    for (const app of ['controller', 'webhook', 'extension-server', 'ratelimit']) {
      for (const kind of [
        'Deployment',
        'Service',
        'ServiceAccount',
        'PodDisruptionBudget',
        'NetworkPolicy',
      ]) {
        expect(find(objects, kind, `aigw-${app}`).metadata.namespace).toBe('aigw-system');
      }
    }
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(objects.filter((o) => o.metadata.name.includes('redis'))).toEqual([]);
  });

  it('gives every container probes, resources and a locked-down security context', async () => {
    const objects = await render({ ratelimit: { redis: { deploy: true } } });
    const deployments = objects.filter((o): o is Deployment => o.kind === 'Deployment');
    expect(deployments.length).toBe(5);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext?.runAsNonRoot, d.metadata.name).toBe(true);
      for (const c of pod.containers) {
        expect(c.livenessProbe, `${d.metadata.name} liveness`).toBeDefined();
        expect(c.readinessProbe, `${d.metadata.name} readiness`).toBeDefined();
        expect(c.resources?.requests, `${d.metadata.name} requests`).toBeDefined();
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
    // The rate limiter and Redis never talk to the API server: no token in their pods.
    expect(
      findDeployment(objects, 'aigw-ratelimit').spec.template.spec.automountServiceAccountToken,
    ).toBe(false);
    expect(
      findDeployment(objects, 'aigw-redis').spec.template.spec.automountServiceAccountToken,
    ).toBe(false);
  });

  it('runs the webhook self-signed, patching the MutatingWebhookConfiguration of docs/webhook.md', async () => {
    const objects = await render();
    const mwc = find(objects, 'MutatingWebhookConfiguration', 'aigw-webhook.aigw-system');
    expect(mwc.metadata.annotations).toBeUndefined();
    expect(mwc.webhooks).toEqual([
      {
        name: 'aigw-webhook.aigw-system.svc',
        clientConfig: {
          service: { name: 'aigw-webhook', namespace: 'aigw-system', path: '/mutate', port: 443 },
        },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            operations: ['CREATE'],
            scope: 'Namespaced',
          },
        ],
        objectSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'envoy-gateway' } },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 10,
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
      },
    ]);
    expect(container(objects, 'webhook').args).toEqual(
      expect.arrayContaining([
        '--self-signed',
        '--cert-secret-name=aigw-webhook-tls',
        '--webhook-config-name=aigw-webhook.aigw-system',
        '--service-name=aigw-webhook',
        '--extproc-image=aigw-extproc:0.1.0',
      ]),
    );
    expect(objects.filter((o) => o.apiVersion.startsWith('cert-manager.io/'))).toEqual([]);
  });

  it('points the Envoy Gateway values example at the extension server Service', async () => {
    const objects = await render();
    const service = find(objects, 'Service', 'aigw-extension-server') as KubeObject & {
      spec: { ports: { port: number }[] };
    };
    const values = parse(
      readFileSync(repoPath('deploy/helm/envoy-gateway-values.yaml'), 'utf8'),
    ) as {
      config: {
        envoyGateway: {
          extensionManager: {
            service: { fqdn: { hostname: string; port: number } };
            hooks: { xdsTranslator: { post: string[] } };
          };
          extensionApis: { enableBackend: boolean };
        };
      };
    };
    const eg = values.config.envoyGateway;
    expect(eg.extensionManager.service.fqdn).toEqual({
      hostname: `${service.metadata.name}.${service.metadata.namespace ?? ''}.svc.cluster.local`,
      port: service.spec.ports[0]?.port,
    });
    expect(eg.extensionManager.hooks.xdsTranslator.post).toEqual([
      'Translation',
      'Cluster',
      'Route',
      'Endpoints',
    ]);
    expect(eg.extensionApis.enableBackend).toBe(true);
  });

  it('uses the global registry and tag unless an app sets its own', async () => {
    const objects = await render({
      global: { image: { registry: 'ghcr.io/acme/', tag: '1.2.3' } },
      controller: { image: { repository: 'aigw-controller', tag: 'dev' } },
    });
    expect(
      findDeployment(objects, 'aigw-controller').spec.template.spec.containers[0]?.args,
    ).toBeDefined();
    const image = (app: string): unknown =>
      (
        findDeployment(objects, `aigw-${app}`).spec.template.spec.containers[0] as {
          image?: string;
        }
      ).image;
    expect(image('controller')).toBe('ghcr.io/acme/aigw-controller:dev');
    expect(image('webhook')).toBe('ghcr.io/acme/aigw-webhook:1.2.3');
    expect(container(objects, 'webhook').args).toContain(
      '--extproc-image=ghcr.io/acme/aigw-extproc:1.2.3',
    );
  });
});

describe('helm template variants', () => {
  it('with cert-manager: a Certificate, CA injection, the Secret mounted, no self-signed RBAC', async () => {
    const objects = await render({ webhook: { tls: { mode: 'certManager' } } });
    const mwc = find(objects, 'MutatingWebhookConfiguration', 'aigw-webhook.aigw-system');
    expect(mwc.metadata.annotations).toEqual({
      'cert-manager.io/inject-ca-from': 'aigw-system/aigw-webhook',
    });
    const cert = find(objects, 'Certificate', 'aigw-webhook') as KubeObject & {
      spec: Record<string, unknown>;
    };
    expect(cert.spec).toMatchObject({
      secretName: 'aigw-webhook-tls',
      issuerRef: { kind: 'Issuer', name: 'aigw-webhook-selfsigned' },
      dnsNames: expect.arrayContaining(['aigw-webhook.aigw-system.svc']) as unknown,
    });
    find(objects, 'Issuer', 'aigw-webhook-selfsigned');
    const args = container(objects, 'webhook').args ?? [];
    expect(args).toContain('--cert-dir=/etc/aigw-webhook/tls');
    expect(args).not.toContain('--self-signed');
    expect(container(objects, 'webhook').volumeMounts).toEqual([
      { name: 'tls', mountPath: '/etc/aigw-webhook/tls', readOnly: true },
    ]);
    expect(objects.filter((o) => o.kind === 'Role' && o.metadata.name === 'aigw-webhook')).toEqual(
      [],
    );
  });

  it('with an existing cert-manager issuer: no Issuer of its own', async () => {
    const objects = await render({
      webhook: {
        tls: {
          mode: 'certManager',
          certManager: { issuerRef: { kind: 'ClusterIssuer', name: 'corp-ca' } },
        },
      },
    });
    expect(objects.filter((o) => o.kind === 'Issuer')).toEqual([]);
    expect(
      (
        find(objects, 'Certificate', 'aigw-webhook') as KubeObject & {
          spec: { issuerRef: unknown };
        }
      ).spec.issuerRef,
    ).toEqual({
      kind: 'ClusterIssuer',
      name: 'corp-ca',
    });
  });

  it('namespaced: --watch-namespaces and Roles in the watched and Envoy Gateway namespaces, no controller ClusterRole', async () => {
    const objects = await render({ controller: { watch: { namespaces: ['team-a', 'team-b'] } } });
    expect(container(objects, 'controller').args).toContain('--watch-namespaces=team-a,team-b');
    expect(
      objects.filter((o) => o.kind.startsWith('Cluster') && o.metadata.name === 'aigw-controller'),
    ).toEqual([]);
    const roles = objects.filter((o) => o.kind === 'Role' && o.metadata.name === 'aigw-controller');
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([
      'envoy-gateway-system',
      'team-a',
      'team-b',
    ]);
    const bindings = objects.filter(
      (o) => o.kind === 'RoleBinding' && o.metadata.name === 'aigw-controller',
    );
    expect(bindings.map((r) => r.metadata.namespace).sort()).toEqual([
      'envoy-gateway-system',
      'team-a',
      'team-b',
    ]);
    // Several namespaces: the extension server (one --watch-namespace at most) stays cluster-wide.
    find(objects, 'ClusterRole', 'aigw-extension-server');
  });

  it('namespaced with one namespace: the extension server watches only it, with a Role', async () => {
    const objects = await render({ controller: { watch: { namespaces: ['team-a'] } } });
    expect(container(objects, 'extension-server').args).toContain('--watch-namespace=team-a');
    expect(find(objects, 'Role', 'aigw-extension-server').metadata.namespace).toBe('team-a');
    expect(
      objects.filter(
        (o) => o.kind === 'ClusterRole' && o.metadata.name === 'aigw-extension-server',
      ),
    ).toEqual([]);
  });

  it('with Redis: a Redis Deployment and Service, the rate limiter pointed at it by environment', async () => {
    const objects = await render({ ratelimit: { replicas: 3, redis: { deploy: true } } });
    find(objects, 'Deployment', 'aigw-redis');
    find(objects, 'Service', 'aigw-redis');
    expect(container(objects, 'ratelimit').env).toEqual([
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=4' },
      { name: 'AIGW_RATELIMIT_STORE', value: 'redis' },
      { name: 'AIGW_RATELIMIT_REDIS_URL', value: 'redis://aigw-redis:6379' },
    ]);
    expect(findDeployment(objects, 'aigw-ratelimit').spec.replicas).toBe(3);
  });

  it("ratelimit.nodeOptions: the limiter's NODE_OPTIONS, none when empty", async () => {
    expect(container(await render({}), 'ratelimit').env).toEqual([
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=4' },
    ]);
    const objects = await render({ ratelimit: { nodeOptions: '' } });
    expect(container(objects, 'ratelimit').env).toBeUndefined();
  });

  it('autoscaling: an HPA for the rate limiter and the extension server, and no fixed replicas', async () => {
    const objects = await render({
      ratelimit: { redis: { url: 'redis://redis.example:6379' }, autoscaling: { enabled: true } },
      extensionServer: { autoscaling: { enabled: true, maxReplicas: 4 } },
    });
    const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.metadata.name).sort()).toEqual([
      'aigw-extension-server',
      'aigw-ratelimit',
    ]);
    expect(findDeployment(objects, 'aigw-ratelimit').spec.replicas).toBeUndefined();
    expect(findDeployment(objects, 'aigw-extension-server').spec.replicas).toBeUndefined();
  });

  it('rate-limit config files become a ConfigMap mounted as --config-dir', async () => {
    const objects = await render({
      ratelimit: { config: { 'ai.yaml': 'domain: ai\ndescriptors: []\n' } },
    });
    expect(
      (find(objects, 'ConfigMap', 'aigw-ratelimit') as KubeObject & { data: unknown }).data,
    ).toEqual({
      'ai.yaml': 'domain: ai\ndescriptors: []\n',
    });
    expect(container(objects, 'ratelimit').args).toContain(
      '--config-dir=/etc/aigw-ratelimit/config',
    );
  });
});

describe('the CRD chart', () => {
  it('renders exactly the CRDs of deploy/crds, kept on uninstall', async () => {
    const objects = (await helmTemplate(helm, crdChartDir)).map((r) => r.object);
    const expected = readFileSync(
      repoPath('deploy/helm/aigw-crds/files/aigateway.envoyproxy.io_aigatewayroutes.yaml'),
      'utf8',
    );
    expect(objects.map((o) => o.metadata.name).sort()).toEqual([
      'aigatewayroutes.aigateway.envoyproxy.io',
      'aiservicebackends.aigateway.envoyproxy.io',
      'backendsecuritypolicies.aigateway.envoyproxy.io',
      'gatewayconfigs.aigateway.envoyproxy.io',
      'mcproutes.aigateway.envoyproxy.io',
      'quotapolicies.aigateway.envoyproxy.io',
    ]);
    const routes = find(
      objects,
      'CustomResourceDefinition',
      'aigatewayroutes.aigateway.envoyproxy.io',
    );
    expect(routes.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(withoutMetadata(routes)).toEqual(
      withoutMetadata(parse(expected.split('\n---\n')[1] ?? '') as KubeObject),
    );
  });
});
