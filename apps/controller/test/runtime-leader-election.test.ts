import { afterEach, describe, expect, it } from 'vitest';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import type { Reconciler } from '../src/runtime/contracts.js';
import { startController, type Controller } from '../src/runtime/controller.js';
import { isControllerError } from '../src/runtime/errors.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { kubeConfigFor, secret, testClient, testLogger } from './support/kube.js';

const harness = useHarness();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const leaseDurationMs = 3_000;
const retryPeriodMs = 300;
const leasePath =
  '/apis/coordination.k8s.io/v1/namespaces/default/leases/envoy-ai-gateway-controller';

interface LeaseSpec {
  holderIdentity?: string;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  leaseDurationSeconds?: number;
}

async function lease(
  client: KubeClient,
): Promise<{ metadata: Record<string, unknown>; spec: LeaseSpec }> {
  return client.request({ path: leasePath });
}

function replica(kube: KubeApiServer, identity: string, reconcile: Reconciler): Controller {
  const controller = startController({
    kubeConfig: kubeConfigFor(kube),
    kinds: ['Secret'],
    log: testLogger(),
    reconcilers: { Secret: reconcile },
    leaderElection: {
      namespace: 'default',
      identity,
      leaseDurationMs,
      renewDeadlineMs: 2_000,
      retryPeriodMs,
    },
  });
  stops.push(() => controller.stop());
  return controller;
}

describe('leader election', () => {
  it('one replica reconciles; when the leader dies without releasing, the other takes over once the lease expires', async () => {
    const kube = await harness.kube();
    const client = testClient(kube);
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/secrets',
      body: secret('default', 's', { k: 'v' }),
    });
    const reconciledBy: string[] = [];
    const record =
      (identity: string): Reconciler =>
      (ref) => {
        if (ref.name === 's') reconciledBy.push(identity);
        return Promise.resolve({});
      };
    const a = replica(kube, 'replica-a', record('replica-a'));
    await waitFor(() => a.isLeader, { timeoutMs: 15_000, description: 'a leads' });
    const b = replica(kube, 'replica-b', record('replica-b'));
    await b.whenSynced();
    await waitFor(() => reconciledBy.includes('replica-a'), { description: 'a reconciled' });
    expect(b.isLeader).toBe(false);
    expect((await lease(client)).spec.holderIdentity).toBe('replica-a');

    await a.stop({ release: false }); // a crash, as far as the Lease can tell
    const lastRenew = Date.parse((await lease(client)).spec.renewTime ?? '');
    expect((await lease(client)).spec.holderIdentity).toBe('replica-a');

    await waitFor(() => b.isLeader, { timeoutMs: 15_000, description: 'b takes over' });
    const taken = (await lease(client)).spec;
    expect(taken.holderIdentity).toBe('replica-b');
    expect(taken.leaseTransitions).toBe(1);
    // b waited for the lease to expire by its own clock, and no longer than the lease plus its
    // (jittered) retry periods.
    const acquiredAfterMs = Date.parse(taken.acquireTime ?? '') - lastRenew;
    expect(acquiredAfterMs).toBeGreaterThanOrEqual(leaseDurationMs);
    expect(acquiredAfterMs).toBeLessThan(2 * leaseDurationMs);
    await waitFor(() => reconciledBy.includes('replica-b'), {
      description: 'b reconciles after taking over',
    });
    expect(reconciledBy.filter((id) => id === 'replica-a').length).toBe(1);
  });

  it('a graceful stop releases the lease at once, so the standby does not wait for it to expire', async () => {
    const kube = await harness.kube();
    const client = testClient(kube);
    const idle: Reconciler = () => Promise.resolve({});
    const a = replica(kube, 'replica-a', idle);
    await waitFor(() => a.isLeader, { timeoutMs: 15_000, description: 'a leads' });
    const b = replica(kube, 'replica-b', idle);
    await b.whenSynced();

    await a.stop();
    const released = (await lease(client)).spec;
    expect(released.holderIdentity ?? '').toBe('');
    const releasedAt = Date.parse(released.renewTime ?? '');
    await waitFor(() => b.isLeader, { timeoutMs: 15_000, description: 'b takes over' });
    const taken = (await lease(client)).spec;
    expect(taken.holderIdentity).toBe('replica-b');
    expect(Date.parse(taken.acquireTime ?? '') - releasedAt).toBeLessThan(leaseDurationMs);
  });

  it('losing the lease aborts the reconciles in flight and refuses their writes', async () => {
    const kube = await harness.kube();
    const client = testClient(kube);
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/secrets',
      body: secret('default', 'slow', { k: 'v' }),
    });
    let started = false;
    let writeError: unknown;
    const a = replica(kube, 'replica-a', async (ref, context) => {
      if (ref.name !== 'slow') return {};
      started = true;
      await new Promise((resolve) => {
        context.signal.addEventListener('abort', resolve, { once: true });
      });
      writeError = await context.writer
        .apply({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'after-loss', namespace: 'default' },
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      return {};
    });
    await waitFor(() => a.isLeader && started, { timeoutMs: 15_000, description: 'a reconciling' });

    // Another holder appears in the Lease (as if a's renewals had been lost for a while).
    const current = await lease(client);
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await client.request({
      method: 'PUT',
      path: leasePath,
      body: {
        ...current,
        spec: {
          ...current.spec,
          holderIdentity: 'intruder',
          renewTime: now,
          acquireTime: now,
          leaseDurationSeconds: 60,
        },
      },
    });
    await waitFor(() => !a.isLeader && writeError !== undefined, {
      timeoutMs: 15_000,
      description: 'a steps down',
    });
    expect(
      isControllerError(writeError) && ['stopped', 'not-leader'].includes(writeError.code),
    ).toBe(true);
    expect((await a.metrics.text()).body).toContain(
      'leader_election_master_status{name="envoy-ai-gateway-controller"} 0',
    );
    await expect(
      client.request({ path: '/api/v1/namespaces/default/secrets/after-loss' }),
    ).rejects.toMatchObject({ code: 'not-found' });
  });
});
