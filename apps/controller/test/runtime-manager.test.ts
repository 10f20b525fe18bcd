import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheusText, startOtelCollector, useHarness, waitFor } from '@aigw/testkit';
import type { KubeObject, Reconciler } from '../src/runtime/contracts.js';
import { startController, type Controller } from '../src/runtime/controller.js';
import { main, type ControllerService } from '../src/main.js';
import { kubeConfigFor, secret, testClient, testLogger } from './support/kube.js';

const harness = useHarness();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/**
 * A trivial reconciler: a Secret `src-*` is mirrored into `copy-*` (owned by its source), written
 * only when the data differs — what the real reconcilers do with their objects.
 */
const mirror: Reconciler = async (ref, context) => {
  if (!ref.name.startsWith('src-')) return {};
  const source = context.cache.get('Secret', ref.namespace, ref.name);
  const copyName = ref.name.replace(/^src-/, 'copy-');
  if (!source) {
    await context.writer.delete({ kind: 'Secret', namespace: ref.namespace, name: copyName });
    return {};
  }
  const current = context.cache.get('Secret', ref.namespace, copyName);
  if (JSON.stringify(current?.['data']) === JSON.stringify(source['data'])) return {};
  const copy: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: copyName,
      namespace: ref.namespace,
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          name: ref.name,
          uid: source.metadata.uid,
          controller: true,
        },
      ],
    },
    data: source['data'],
  };
  await context.writer.apply(copy);
  return {};
};

function resourceVersion(controller: Controller, name: string): string | undefined {
  return controller.cache.get('Secret', 'default', name)?.metadata.resourceVersion;
}

describe('controller manager', () => {
  it("runs a kind's reconciler on informer events, converges, and a restart writes nothing", async () => {
    const kube = await harness.kube();
    const client = testClient(kube);
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/secrets',
      body: secret('default', 'src-a', { k: 'v1' }),
    });
    const options = {
      kubeConfig: kubeConfigFor(kube),
      reconcilers: { Secret: mirror },
      kinds: ['Secret'] as const,
      log: testLogger(),
    };
    const first = startController(options);
    stops.push(() => first.stop());
    await first.whenSynced();
    expect(first.isReady()).toBe(true);
    await waitFor(() => first.cache.get('Secret', 'default', 'copy-a'), {
      description: 'copy created',
    });

    await client.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/default/secrets/src-a',
      body: { stringData: { k: 'v2' } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      () =>
        (first.cache.get('Secret', 'default', 'copy-a')?.['data'] as { k?: string } | undefined)
          ?.k === 'djI=',
      {
        description: 'copy updated',
      },
    );
    // Deleting the copy queues its owner (ownerReferences), which writes it again.
    const deletedUid = first.cache.get('Secret', 'default', 'copy-a')?.metadata.uid;
    await client.request({ method: 'DELETE', path: '/api/v1/namespaces/default/secrets/copy-a' });
    await waitFor(
      () => {
        const uid = first.cache.get('Secret', 'default', 'copy-a')?.metadata.uid;
        return uid !== undefined && uid !== deletedUid;
      },
      { description: 'copy recreated' },
    );
    await first.whenIdle();
    const before = resourceVersion(first, 'copy-a');
    const metrics = await first.metrics.text();
    expect(metrics.body).toMatch(
      /controller_runtime_reconcile_total\{controller="Secret",result="success"\} [1-9]/,
    );
    expect(metrics.body).toMatch(
      /aigw_controller_writes_total\{verb="apply",kind="Secret"\} [1-9]/,
    );
    await first.stop();

    const second = startController(options);
    stops.push(() => second.stop());
    await second.whenSynced();
    await second.whenIdle();
    expect(resourceVersion(second, 'copy-a')).toBe(before);
    expect((await second.metrics.text()).body).not.toMatch(/aigw_controller_writes_total\{/);
    expect((await second.metrics.text()).body).toMatch(
      /controller_runtime_reconcile_total\{controller="Secret",result="success"\} [1-9]/,
    );
  });

  it('retries a failing reconcile with backoff and honours requeueAfterMs', async () => {
    const kube = await harness.kube();
    const client = testClient(kube);
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/secrets',
      body: secret('default', 'flaky', { k: 'v' }),
    });
    const calls: { name: string; at: number }[] = [];
    const controller = startController({
      kubeConfig: kubeConfigFor(kube),
      kinds: ['Secret'],
      log: testLogger(),
      reconcilers: {
        Secret: (ref) => {
          calls.push({ name: ref.name, at: Date.now() });
          const mine = calls.filter((c) => c.name === ref.name).length;
          if (ref.name === 'flaky' && mine < 3) return Promise.reject(new Error('transient'));
          if (ref.name === 'flaky' && mine === 3) return Promise.resolve({ requeueAfterMs: 50 });
          return Promise.resolve({});
        },
      },
    });
    stops.push(() => controller.stop());
    await waitFor(() => calls.filter((c) => c.name === 'flaky').length >= 4, {
      description: 'two retries, then a requeue',
    });
    const text = (await controller.metrics.text()).body;
    expect(text).toMatch(/controller_runtime_reconcile_errors_total\{controller="Secret"\} 2/);
    expect(text).toMatch(
      /controller_runtime_reconcile_total\{controller="Secret",result="requeue_after"\} 1/,
    );
    expect(text).toMatch(/workqueue_retries_total\{name="Secret"\} 2/);
  });
});

describe('controller main', () => {
  it('serves /healthz, /readyz once synced with absent CRDs, and /metrics', async () => {
    const kube = await harness.kube();
    const service: ControllerService = await main({
      argv: [
        '--kubeconfig',
        kube.kubeconfigPath,
        '--health-port',
        '0',
        '--host',
        '127.0.0.1',
        '--log-level',
        'silent',
      ],
      env: {},
    });
    stops.push(() => service.close());
    const base = `http://127.0.0.1:${String(service.port)}`;
    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    // No AI Gateway / Gateway API CRDs are installed: those informers are absent, not pending.
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, {
      timeoutMs: 20_000,
      description: '/readyz 200',
    });
    expect(service.controller.informerStates()).toMatchObject({
      Secret: 'synced',
      AIGatewayRoute: 'absent',
      Gateway: 'absent',
    });
    await waitFor(() => service.controller.isLeader, { timeoutMs: 20_000, description: 'leader' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    // Read by Prometheus's reference parser: valid exposition, the right types and values.
    const families = await parsePrometheusText(await metrics.text());
    const sample = (name: string, labels: Readonly<Record<string, string>>): number | undefined =>
      families
        .flatMap((f) => f.samples)
        .find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    const types = new Map(families.map((f) => [f.name, f.type]));
    expect(sample('leader_election_master_status', { name: 'envoy-ai-gateway-controller' })).toBe(
      1,
    );
    expect(sample('aigw_controller_informer_synced', { kind: 'Secret' })).toBe(1);
    expect(types.get('controller_runtime_reconcile_time_seconds')).toBe('histogram');
    expect(types.get('workqueue_depth')).toBe('gauge');
    expect(sample('process_resident_memory_bytes', {})).toBeGreaterThan(0);
  });

  it('traces each reconcile over OTLP into a real collector when the OTEL_* variables say so', async () => {
    const kube = await harness.kube();
    const collector = await startOtelCollector({ dir: harness.tempDir('controller-otel') });
    stops.push(() => collector.stop());
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
      OTEL_SERVICE_NAME: 'aigw-controller-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    // The OpenTelemetry exporter and batch processor read process.env themselves (as in the real
    // process, where main's env is process.env): set them for this worker, then restore.
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    stops.push(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
      }
      return Promise.resolve();
    });
    const service = await main({
      argv: ['--kubeconfig', kube.kubeconfigPath, '--health-port', '0', '--log-level', 'silent'],
      env,
    });
    stops.push(() => service.close());
    await waitFor(() => service.controller.isLeader, { timeoutMs: 20_000, description: 'leader' });
    await testClient(kube).request({
      method: 'POST',
      path: '/api/v1/namespaces/default/secrets',
      body: secret('default', 'traced-secret', { k: 'v' }),
    });
    interface Span {
      readonly name: string;
      readonly attributes?: readonly { key: string; value: { stringValue?: string } }[];
    }
    const spans = (): Span[] =>
      (
        collector.exports() as {
          resourceSpans?: { scopeSpans?: { spans?: Span[] }[] }[];
        }[]
      ).flatMap((line) =>
        (line.resourceSpans ?? []).flatMap((rs) =>
          (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []),
        ),
      );
    const attributes = (span: Span): Record<string, string | undefined> =>
      Object.fromEntries((span.attributes ?? []).map((a) => [a.key, a.value.stringValue]));
    const traced = await waitFor(
      () =>
        spans().find(
          (span) =>
            span.name === 'reconcile Secret' &&
            attributes(span)['aigw.reconcile.key'] === 'default/traced-secret',
        ),
      { timeoutMs: 20_000, description: 'the span of the Secret reconcile' },
    );
    expect(attributes(traced)).toMatchObject({
      'aigw.reconcile.kind': 'Secret',
      'aigw.reconcile.outcome': expect.any(String) as unknown,
    });
    const resource = JSON.stringify(collector.exports());
    expect(resource).toContain('aigw-controller-test');
  });
});
