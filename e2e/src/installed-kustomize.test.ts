import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  applyCrds,
  defaultControllers,
  getFreePort,
  kubeRequest,
  thirdPartyCrdFiles,
  useHarness,
  type KubeApiServer,
} from '@aigw/testkit';

import { parseObjects, root, type KubeObject } from './support/eg-stack.js';
import {
  appPodsReady,
  apps,
  kubectl,
  machineIp,
  webhookCaBundle,
  type PodItem,
} from './support/installed.js';

/**
 * The Kustomize install (issue 5/10): `kubectl apply -k` of deploy/kustomize/crds and of the
 * base on the test kube-apiserver; the node agent runs the base's Deployments as local processes
 * under the base's ServiceAccounts and RBAC; the API server calls the webhook on an Envoy pod's
 * creation. The pods share this machine's network, where the base's controller health port and
 * the rate limiter's gRPC port are both 8081 (separate pods in a cluster) and fixed ports may be
 * taken: the test applies the base through an overlay that only moves every container port to a
 * free one ({@link portPatches}) and runs one replica of each. The Helm install, Envoy Gateway
 * and traffic are in installed-system.test.ts.
 */
const harness = useHarness();
const namespace = 'aigw-system';

interface Container {
  args?: string[];
  ports?: { containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}
type Probe = Partial<Record<'httpGet' | 'grpc' | 'tcpSocket', { port: number | string }>>;

/** The JSON patch ops that move one container's ports (recorded in `moved`) to free ones. */
async function containerOps(
  c: Container,
  at: string,
  moved: Map<number, number>,
): Promise<object[]> {
  const ops: object[] = [];
  for (const [pi, port] of (c.ports ?? []).entries()) {
    const to = await getFreePort();
    moved.set(port.containerPort, to);
    ops.push({ op: 'replace', path: `${at}/ports/${String(pi)}/containerPort`, value: to });
  }
  for (const [ai, arg] of (c.args ?? []).entries()) {
    const value = arg.replace(/([=:])(\d+)$/, (m, sep: string, n: string) => {
      const to = moved.get(Number(n));
      return to === undefined ? m : `${sep}${String(to)}`;
    });
    if (value !== arg) ops.push({ op: 'replace', path: `${at}/args/${String(ai)}`, value });
  }
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    for (const [action, spec] of Object.entries(c[kind] ?? {})) {
      const to = typeof spec.port === 'number' ? moved.get(spec.port) : undefined;
      if (to !== undefined) {
        ops.push({ op: 'replace', path: `${at}/${kind}/${action}/port`, value: to });
      }
    }
  }
  return ops;
}

/**
 * JSON patches that move every container port of the base's Deployments to a free port of this
 * machine — in the container's `ports`, its arguments (`--port=9443`, `--address=:1063`), its
 * probes and the numeric `targetPort`s of the Service of the same name — and change nothing
 * else. Per Deployment: the controller's health port and the limiter's gRPC port are both 8081.
 */
async function portPatches(objects: readonly KubeObject[]): Promise<object[]> {
  const movedBy = new Map<string, Map<number, number>>();
  const patches: object[] = [];
  const target = (o: KubeObject): object => ({
    kind: o.kind,
    name: o.metadata.name,
    ...(o.kind === 'Deployment' ? { group: 'apps', version: 'v1' } : { version: 'v1' }),
  });
  for (const o of objects.filter((x) => x.kind === 'Deployment')) {
    const containers = (
      o as unknown as { spec: { template: { spec: { containers: Container[] } } } }
    ).spec.template.spec.containers;
    const moved = new Map<number, number>();
    movedBy.set(o.metadata.name, moved);
    const ops: object[] = [];
    for (const [ci, c] of containers.entries()) {
      ops.push(...(await containerOps(c, `/spec/template/spec/containers/${String(ci)}`, moved)));
    }
    if (ops.length > 0) patches.push({ target: target(o), patch: stringify(ops) });
  }
  for (const o of objects.filter((x) => x.kind === 'Service')) {
    const ports = (
      o as unknown as { spec: { ports: { port: number; targetPort?: number | string }[] } }
    ).spec.ports;
    const moved = movedBy.get(o.metadata.name);
    const ops = ports.flatMap((p, i) => {
      const from = p.targetPort ?? p.port;
      const to = typeof from === 'number' ? moved?.get(from) : undefined;
      return to === undefined
        ? []
        : [{ op: 'add', path: `/spec/ports/${String(i)}/targetPort`, value: to }];
    });
    if (ops.length > 0) patches.push({ target: target(o), patch: stringify(ops) });
  }
  return patches;
}

describe('kubectl apply -k of the Kustomize base on the test API server (node agent)', () => {
  let kube: KubeApiServer;
  let dir: string;

  beforeAll(async () => {
    kube = await harness.kube({ extraApiServerArgs: ['--enable-aggregator-routing=true'] });
    dir = harness.tempDir('installed-kustomize');
    // Envoy Gateway's and Gateway API's CRDs: the controller watches their objects.
    await applyCrds(kube, thirdPartyCrdFiles(), { timeoutMs: 300_000 });
    await kubectl(kube, ['apply', '-k', join(root, 'deploy', 'kustomize', 'crds')]);
    await kubectl(kube, ['wait', '--for=condition=Established', '--timeout=120s', 'crd', '--all']);
    await harness.nodeAgent(kube, {
      podIp: machineIp(),
      isMountNamespaced: true,
      controllers: [...defaultControllers, 'endpoints-controller', 'endpointslice-controller'],
    });
    const overlay = join(dir, 'overlay');
    mkdirSync(overlay);
    const base = join(root, 'deploy', 'kustomize', 'base');
    const built = parseObjects(await kubectl(kube, ['kustomize', base]));
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        // Kustomize takes a base only by a relative path.
        resources: [relative(overlay, base)],
        patches: await portPatches(built),
        // One pod per app: two replicas would bind the same port of this machine.
        replicas: built
          .filter((o) => o.kind === 'Deployment')
          .map((o) => ({ name: o.metadata.name, count: 1 })),
      }),
    );
    await kubectl(kube, ['apply', '-k', overlay]);
  }, 600_000);

  afterAll(async () => {
    await kubectl(kube, ['delete', '-k', join(dir, 'overlay'), '--wait=false']).catch(
      () => undefined,
    );
  });

  it('runs every app of the base as a Ready pod under its own ServiceAccount', async () => {
    const ready = await appPodsReady(kube, namespace);
    expect([...ready.keys()].sort()).toEqual([...apps].sort());
    for (const [app, pod] of ready) {
      expect(pod.spec.serviceAccountName).toBe(`aigw-${app}`);
      expect(pod.spec.containers[0]?.image).toMatch(new RegExp(`^aigw-${app}:`));
    }
    // The controller holds its leader lease (it talks to the API server under its Role).
    const lease = await kubeRequest(
      kube,
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/envoy-ai-gateway-controller`,
    );
    expect(lease.status).toBe(200);
    expect((lease.json() as { spec: { holderIdentity?: string } }).spec.holderIdentity).toContain(
      ready.get('controller')?.metadata.name,
    );
  });

  it('has the API server call the self-signed webhook, which injects the extproc into an Envoy pod', async () => {
    expect(await webhookCaBundle(kube, `aigw-webhook.${namespace}`)).toBeTruthy();
    await kubectl(kube, ['create', 'namespace', 'envoy-gateway-system']);
    await kubectl(kube, [
      'create',
      'serviceaccount',
      'envoy-default-gw',
      '-n',
      'envoy-gateway-system',
    ]);
    // An Envoy pod of a Gateway with an AI route, as Envoy Gateway would create it; a server
    // dry run goes through admission (the webhook declares no side effects) and stores nothing.
    const objects = [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: 'default' },
        spec: { gatewayClassName: 'eg', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      },
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIGatewayRoute',
        metadata: { name: 'chat', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          rules: [{ backendRefs: [{ name: 'openai' }] }],
        },
      },
    ];
    writeFileSync(join(dir, 'user.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    await kubectl(kube, ['apply', '-f', join(dir, 'user.yaml')]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'envoy-default-gw-0',
        namespace: 'envoy-gateway-system',
        labels: {
          'app.kubernetes.io/component': 'proxy',
          'app.kubernetes.io/managed-by': 'envoy-gateway',
          'app.kubernetes.io/name': 'envoy',
          'gateway.envoyproxy.io/owning-gateway-name': 'gw',
          'gateway.envoyproxy.io/owning-gateway-namespace': 'default',
        },
      },
      spec: {
        serviceAccountName: 'envoy-default-gw',
        containers: [{ name: 'envoy', image: 'envoyproxy/envoy:distroless-v1.36.2' }],
      },
    };
    writeFileSync(join(dir, 'pod.yaml'), stringify(pod));
    const created = JSON.parse(
      await kubectl(kube, [
        'create',
        '--dry-run=server',
        '-o',
        'json',
        '-f',
        join(dir, 'pod.yaml'),
      ]),
    ) as PodItem;
    const sidecar = created.spec.initContainers?.find((c) => c.name === 'ai-gateway-extproc');
    expect(sidecar?.image).toMatch(/^aigw-extproc:/);
    expect(sidecar?.restartPolicy).toBe('Always');
  });
});
