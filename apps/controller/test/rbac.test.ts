import { readFileSync } from 'node:fs';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  controllerPolicyRules,
  controllerRbacObjects,
  leaderElectionPolicyRules,
  type RbacBinding,
  type RbacRole,
} from '../src/rbac.js';
import { createReconcilers } from '../src/reconcilers/reconcilers.js';
import type { KubeObject } from '../src/runtime/contracts.js';
import { startController, type Controller } from '../src/runtime/controller.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { createNamespace, testClient } from './support/kube.js';
import {
  acceptedOf,
  applyReconcilerCrds,
  createObjects,
  deleteObject,
  parseObjects,
  readObject,
  repoPath,
  testNow,
  waitForAccepted,
} from './support/reconcile-kit.js';
import {
  LogCapture,
  applyRbac,
  createServiceAccount,
  kubeConfigForToken,
  requestToken,
  requestsOf,
  waitForAccess,
  type AccessRequest,
  type LogRecord,
  type ServiceAccountRef,
} from './support/rbac-kit.js';

/**
 * The controller's RBAC (`src/rbac.ts`) is what it needs: the real controller (every watched kind,
 * leader election on) runs as a ServiceAccount with exactly those rules, on an API server that
 * enforces RBAC and the OwnerReferencesPermissionEnforcement admission plugin, through upstream's
 * examples/basic and a deletion, without one 403; with one rule removed it fails visibly.
 */
const basicYaml = readFileSync(
  repoPath('packages/gateway-config/src/testdata/upstream/basic.yaml'),
  'utf8',
);
const systemNamespace = 'aigw-system';
const ours = (objects: readonly KubeObject[]): KubeObject[] =>
  objects.filter((o) => o.apiVersion.startsWith('aigateway.envoyproxy.io/'));

/** What the route generates, and the config Secrets of its Gateway (names as reconcile-basic's). */
function generatedRefs(namespace: string): KubeObject[] {
  const ref = (apiVersion: string, kind: string, name: string): KubeObject => ({
    apiVersion,
    kind,
    metadata: { name, namespace },
  });
  const gatewayApi = 'gateway.networking.k8s.io/v1';
  const eg = 'gateway.envoyproxy.io/v1alpha1';
  return [
    ref(gatewayApi, 'HTTPRoute', 'envoy-ai-gateway-basic'),
    ref(eg, 'HTTPRouteFilter', 'ai-eg-host-rewrite-envoy-ai-gateway-basic'),
    ref(eg, 'HTTPRouteFilter', 'ai-eg-route-not-found-response-envoy-ai-gateway-basic'),
    ...[
      `envoy-ai-gateway-basic-${namespace}`,
      `envoy-ai-gateway-basic-${namespace}-21a9f8f801bd`,
      `envoy-ai-gateway-basic-${namespace}-21a9f8f801bd-part-000`,
    ].map((name) => ref('v1', 'Secret', name)),
  ];
}

describe('controller RBAC on a real API server', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let admin: KubeClient;
  const controllers: Controller[] = [];

  beforeAll(async () => {
    kube = await harness.kube({
      extraApiServerArgs: ['--enable-admission-plugins=OwnerReferencesPermissionEnforcement'],
    });
    await applyReconcilerCrds(kube);
    admin = testClient(kube);
    await createNamespace(admin, systemNamespace);
  }, 240_000);

  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.stop();
  });

  /**
   * Creates the ServiceAccount, applies `objects` (roles and bindings), waits until the
   * authorizer has them, and starts the controller with a token of that account only.
   */
  async function startAs(
    account: ServiceAccountRef,
    objects: readonly (RbacRole | RbacBinding)[],
    options: { leaseName: string; denied?: readonly AccessRequest[] },
  ): Promise<{ controller: Controller; logs: LogCapture }> {
    await createServiceAccount(admin, account);
    await applyRbac(admin, objects);
    const clusterRole = objects.find((o): o is RbacRole => o.kind === 'ClusterRole');
    await waitForAccess(admin, account, {
      allowed: [
        ...requestsOf(clusterRole?.rules ?? []),
        ...requestsOf(leaderElectionPolicyRules(options.leaseName), systemNamespace),
      ],
      ...(options.denied ? { denied: options.denied } : {}),
    });
    const token = await requestToken(admin, account);
    const logs = new LogCapture();
    const controller = startController({
      reconcilers: createReconcilers({ now: () => testNow }),
      kubeConfig: kubeConfigForToken(kube, token),
      log: logs.log,
      // Every watched kind (workloads included), as main.ts runs it.
      resyncMs: 0,
      leaderElection: {
        namespace: systemNamespace,
        name: options.leaseName,
        identity: `${account.name}-1`,
      },
    });
    controllers.push(controller);
    await controller.whenSynced();
    return { controller, logs };
  }

  it('runs examples/basic and its deletion with exactly rbac.ts, without one 403', async () => {
    const basic = parseObjects(basicYaml);
    await createObjects(admin, basic);
    const account = { namespace: systemNamespace, name: 'ai-gateway-controller' };
    const { controller, logs } = await startAs(
      account,
      controllerRbacObjects({ serviceAccount: account }),
      { leaseName: 'envoy-ai-gateway-controller' },
    );

    // Leader election through the Lease (create, then get + update on every renewal).
    await waitFor(() => controller.isLeader, { description: 'the controller leading' });
    const lease = await admin.request<{ spec?: { holderIdentity?: string } }>({
      path: `/apis/coordination.k8s.io/v1/namespaces/${systemNamespace}/leases/envoy-ai-gateway-controller`,
    });
    expect(lease.spec?.holderIdentity).toBe('ai-gateway-controller-1');

    for (const object of ours(basic)) await waitForAccepted(admin, object, 'True');
    const route = basic.find((o) => o.kind === 'AIGatewayRoute');
    if (!route) throw new Error('basic.yaml has no AIGatewayRoute');
    expect((await readObject(admin, route))?.metadata.finalizers).toEqual([
      'aigateway.envoyproxy.io/finalizer',
    ]);
    const generated = generatedRefs('default');
    for (const ref of generated) {
      await waitFor(() => readObject(admin, ref), {
        description: `${ref.kind} ${ref.metadata.name}`,
        timeoutMs: 30_000,
      });
    }
    // blockOwnerDeletion passed OwnerReferencesPermissionEnforcement (aigatewayroutes/finalizers).
    expect((await readObject(admin, generated[0] as KubeObject))?.metadata.ownerReferences).toEqual(
      [expect.objectContaining({ kind: 'AIGatewayRoute', blockOwnerDeletion: true })],
    );
    await controller.whenIdle();

    await deleteObject(admin, route);
    for (const ref of [route, ...generated]) {
      await waitFor(async () => (await readObject(admin, ref)) === undefined, {
        description: `${ref.kind} ${ref.metadata.name} deleted`,
        timeoutMs: 30_000,
      });
    }
    await controller.whenIdle();
    await controller.stop();
    controllers.splice(0);

    expect(logs.records.some((r) => r.msg === 'released leader lease')).toBe(true);
    expect(logs.forbidden()).toEqual([]);
  }, 180_000);

  it('fails visibly with one rule removed: no status patch → forbidden, no condition', async () => {
    const namespace = 'rbac-negative';
    await createNamespace(admin, namespace);
    // The same example in its own namespace (the GatewayClass is cluster-scoped and exists).
    const basic = parseObjects(
      basicYaml.replaceAll('namespace: default', `namespace: ${namespace}`),
    )
      .filter((o) => o.kind !== 'GatewayClass')
      .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
    await createObjects(admin, basic);

    const account = { namespace: systemNamespace, name: 'controller-without-status' };
    const isStatusRule = (resources: readonly string[]): boolean =>
      resources.every((r) => r.endsWith('/status'));
    const statusRule = controllerPolicyRules.find((r) => isStatusRule(r.resources));
    expect(statusRule?.verbs).toEqual(['patch']);
    const objects = controllerRbacObjects({
      serviceAccount: account,
      name: 'controller-without-status',
      leaseName: 'controller-without-status',
    }).map((o) =>
      o.kind === 'ClusterRole' ? { ...o, rules: o.rules.filter((r) => r !== statusRule) } : o,
    );
    const { logs } = await startAs(account, objects, {
      leaseName: 'controller-without-status',
      denied: requestsOf(statusRule ? [statusRule] : []),
    });

    const isStatusForbidden = (r: LogRecord): boolean =>
      r.msg === 'reconcile failed; retrying with backoff' &&
      String(r['key']).startsWith(`${namespace}/`) &&
      r.err?.status === 403 &&
      /cannot patch resource "[a-z]+\/status"/.test(r.err.message ?? '');
    const record = await waitFor(() => logs.records.find(isStatusForbidden), {
      description: 'a logged 403 on a status patch',
      timeoutMs: 60_000,
    });
    expect(record.err?.code).toBe('forbidden');
    expect(record.err?.message).toContain(
      `User "system:serviceaccount:${systemNamespace}:controller-without-status"`,
    );
    // The status is never written; everything else the controller does is allowed.
    for (const object of ours(basic))
      expect(acceptedOf(await readObject(admin, object))).toBe(undefined);
    const failing = ours(basic).find(
      (o) => o.kind === record['kind'] && `${namespace}/${o.metadata.name}` === record['key'],
    );
    expect(failing).toBeDefined();
  }, 180_000);
});
