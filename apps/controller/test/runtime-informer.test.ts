import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TcpProxy, applyCrds, findRepoRoot, useHarness, waitFor } from '@aigw/testkit';
import { InformerCache } from '../src/runtime/cache.js';
import { kindFieldSelectors } from '../src/runtime/contracts.js';
import { Informer, type InformerEvent } from '../src/runtime/informer.js';
import { KubeClient } from '../src/runtime/kube-client.js';
import {
  compactEtcd,
  createNamespace,
  kubeConfigFor,
  secret,
  testClient,
  testLogger,
} from './support/kube.js';

const harness = useHarness();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function startInformer(
  client: KubeClient,
  options: Partial<ConstructorParameters<typeof Informer>[0]> &
    Pick<ConstructorParameters<typeof Informer>[0], 'kind'>,
) {
  const cache = new InformerCache();
  const events: InformerEvent[] = [];
  const relists: string[] = [];
  const informer = new Informer({
    client,
    cache,
    log: testLogger(),
    onEvent: (event) => events.push(event),
    onRelist: (_kind, reason) => relists.push(reason),
    ...options,
  });
  informer.start();
  stops.push(() => informer.stop());
  return { informer, cache, events, relists };
}

describe('informer', () => {
  it('lists, then sees creates, updates and deletes of Secrets in the watched namespace only', async () => {
    const kube = await harness.kube();
    const client = testClient(kube);
    await createNamespace(client, 'watched');
    await createNamespace(client, 'other');
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/watched/secrets',
      body: secret('watched', 'before', { a: '1' }),
    });
    const { informer, cache, events } = startInformer(new KubeClient(kubeConfigFor(kube)), {
      kind: 'Secret',
      namespaces: ['watched'],
    });
    await informer.whenSynced();
    expect(informer.state).toBe('synced');
    expect(
      (cache.get('Secret', 'watched', 'before')?.metadata as Record<string, unknown>)[
        'managedFields'
      ],
    ).toBeUndefined();
    expect(cache.get('Secret', 'watched', 'before')).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      data: { a: 'MQ==' },
    });

    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/watched/secrets',
      body: secret('watched', 'new', { b: '2' }),
    });
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/other/secrets',
      body: secret('other', 'ignored', { c: '3' }),
    });
    await waitFor(() => cache.get('Secret', 'watched', 'new'), {
      description: 'created Secret in cache',
    });
    await client.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/watched/secrets/new',
      body: { stringData: { b: '22' } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      () =>
        cache.get('Secret', 'watched', 'new')?.['data'] !== undefined &&
        (cache.get('Secret', 'watched', 'new')?.['data'] as Record<string, string>)['b'] === 'MjI=',
      {
        description: 'updated Secret in cache',
      },
    );
    await client.request({ method: 'DELETE', path: '/api/v1/namespaces/watched/secrets/before' });
    await waitFor(() => cache.get('Secret', 'watched', 'before') === undefined, {
      description: 'deleted Secret gone',
    });

    expect(cache.get('Secret', 'other', 'ignored')).toBeUndefined();
    const seen = events.map((e) => `${e.type} ${e.object.metadata.name}`);
    expect(seen).toEqual(['added before', 'added new', 'updated new', 'deleted before']);
  });

  it("leaves out the Secret types no policy uses and kubectl's last-applied copy", async () => {
    const kube = await harness.kube();
    const client = testClient(kube);
    await createNamespace(client, 'filtered');
    const create = (body: Record<string, unknown>) =>
      client.request({ method: 'POST', path: '/api/v1/namespaces/filtered/secrets', body });
    await create({
      ...secret('filtered', 'sh.helm.release.v1.app.v1', { release: 'x'.repeat(1000) }),
      type: 'helm.sh/release.v1',
    });
    const applied = secret('filtered', 'api-key', { apiKey: 'k' });
    await create({
      ...applied,
      metadata: {
        ...(applied['metadata'] as object),
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied),
          team: 'a',
        },
      },
    });
    const { informer, cache } = startInformer(new KubeClient(kubeConfigFor(kube)), {
      kind: 'Secret',
      namespaces: ['filtered'],
      fieldSelector: kindFieldSelectors.Secret,
    });
    await informer.whenSynced();
    expect(cache.list('Secret', 'filtered').map((s) => s.metadata.name)).toEqual(['api-key']);
    expect(cache.get('Secret', 'filtered', 'api-key')?.metadata.annotations).toEqual({ team: 'a' });
    // Also for what the watch brings.
    await create({
      ...secret('filtered', 'sh.helm.release.v1.app.v2', { release: 'y' }),
      type: 'helm.sh/release.v1',
    });
    await create(secret('filtered', 'later', { apiKey: 'l' }));
    await waitFor(() => cache.get('Secret', 'filtered', 'later'), {
      description: 'the Opaque Secret created after the list',
    });
    expect(cache.get('Secret', 'filtered', 'sh.helm.release.v1.app.v2')).toBeUndefined();
  });

  it('relists after its watch restarts with an expired resourceVersion (410), converging on what changed meanwhile', async () => {
    // Watches served from etcd (no watch cache), so compacting etcd expires the informer's resourceVersion.
    const kube = await harness.kube({ extraApiServerArgs: ['--watch-cache=false'] });
    const client = testClient(kube);
    const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(kube.url).port) });
    await proxy.up();
    stops.push(() => proxy.down());
    for (const name of ['keep', 'change', 'remove']) {
      await client.request({
        method: 'POST',
        path: '/api/v1/namespaces/default/secrets',
        body: secret('default', name, { v: '1' }),
      });
    }
    const { informer, cache, events, relists } = startInformer(
      new KubeClient(kubeConfigFor(kube, { port: proxy.port })),
      {
        kind: 'Secret',
        namespaces: ['default'],
      },
    );
    await informer.whenSynced();
    expect(
      cache
        .list('Secret', 'default')
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(['change', 'keep', 'remove']);

    await proxy.down(); // the watch connection drops; retries are refused while it is down
    await client.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/default/secrets/change',
      body: { stringData: { v: '2' } },
      contentType: 'application/merge-patch+json',
    });
    await client.request({ method: 'DELETE', path: '/api/v1/namespaces/default/secrets/remove' });
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/secrets',
      body: secret('default', 'added', { v: '1' }),
    });
    await compactEtcd(kube.etcdUrl);
    await proxy.up();

    await waitFor(
      () =>
        relists.length > 0 &&
        cache.get('Secret', 'default', 'added') &&
        !cache.get('Secret', 'default', 'remove'),
      {
        timeoutMs: 30_000,
        description: 'relist after 410 Gone',
      },
    );
    expect(relists).toContain('expired');
    expect(cache.get('Secret', 'default', 'change')?.['data']).toEqual({ v: 'Mg==' });
    const afterRestart = events
      .slice(3)
      .map((e) => `${e.type} ${e.object.metadata.name}`)
      .sort();
    expect(afterRestart).toEqual(['added added', 'deleted remove', 'updated change']);
  });

  it('is "absent" (and synced) while a CRD is missing, then picks the kind up once it is installed', async () => {
    const kube = await harness.kube();
    const { informer, cache } = startInformer(new KubeClient(kubeConfigFor(kube)), {
      kind: 'AIServiceBackend',
      absentRetryMs: 200,
    });
    await informer.whenSynced();
    expect(informer.state).toBe('absent');
    expect(informer.hasSynced).toBe(true);

    await applyCrds(kube, [
      join(findRepoRoot() ?? '.', 'deploy/crds/aigateway.envoyproxy.io_aiservicebackends.yaml'),
    ]);
    const client = testClient(kube);
    await client.request({
      method: 'POST',
      path: '/apis/aigateway.envoyproxy.io/v1beta1/namespaces/default/aiservicebackends',
      body: {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIServiceBackend',
        metadata: { name: 'b', namespace: 'default' },
        spec: {
          schema: { name: 'OpenAI' },
          backendRef: { name: 'x', kind: 'Backend', group: 'gateway.envoyproxy.io' },
        },
      },
    });
    await waitFor(() => cache.get('AIServiceBackend', 'default', 'b'), {
      timeoutMs: 20_000,
      description: 'backend cached',
    });
    expect(informer.state).toBe('synced');
  });
});
