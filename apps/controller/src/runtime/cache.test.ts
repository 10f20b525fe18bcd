import { describe, expect, it } from 'vitest';
import { InformerCache, UnknownIndexError, isNewerVersion } from './cache.js';
import type { KubeObject } from './contracts.js';
import { indexNames, registerStandardIndexes } from './indexes.js';

function route(name: string, spec: object, namespace = 'ns'): KubeObject {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'AIGatewayRoute',
    metadata: { name, namespace, resourceVersion: '1' },
    spec,
  };
}

describe('InformerCache', () => {
  it('lists per namespace and across namespaces', () => {
    const cache = new InformerCache();
    cache.upsert('AIGatewayRoute', route('a', {}));
    cache.upsert('AIGatewayRoute', route('b', {}, 'other'));
    expect(
      cache
        .list('AIGatewayRoute')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(cache.list('AIGatewayRoute', 'other').map((o) => o.metadata.name)).toEqual(['b']);
    expect(cache.remove('AIGatewayRoute', 'ns', 'a')?.metadata.name).toBe('a');
    expect(cache.get('AIGatewayRoute', 'ns', 'a')).toBeUndefined();
  });

  it('keeps indexes current through add, update and delete', () => {
    const cache = new InformerCache();
    registerStandardIndexes(cache);
    const name = indexNames.backendToReferencingAIGatewayRoute;
    cache.upsert(
      'AIGatewayRoute',
      route('r', { rules: [{ backendRefs: [{ name: 'b1' }, { name: 'b2', namespace: 'x' }] }] }),
    );
    expect(cache.byIndex('AIGatewayRoute', name, 'b1.ns').map((o) => o.metadata.name)).toEqual([
      'r',
    ]);
    expect(cache.byIndex('AIGatewayRoute', name, 'b2.x').map((o) => o.metadata.name)).toEqual([
      'r',
    ]);
    cache.upsert('AIGatewayRoute', route('r', { rules: [{ backendRefs: [{ name: 'b3' }] }] }));
    expect(cache.byIndex('AIGatewayRoute', name, 'b1.ns')).toEqual([]);
    expect(cache.byIndex('AIGatewayRoute', name, 'b3.ns')).toHaveLength(1);
    cache.remove('AIGatewayRoute', 'ns', 'r');
    expect(cache.byIndex('AIGatewayRoute', name, 'b3.ns')).toEqual([]);
    expect(() => cache.byIndex('AIGatewayRoute', 'nope', 'x')).toThrow(UnknownIndexError);
  });

  it('indexes objects cached before the index was registered', () => {
    const cache = new InformerCache();
    cache.upsert('Gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: 'gw',
        namespace: 'ns',
        annotations: { 'aigateway.envoyproxy.io/gateway-config': 'cfg' },
      },
    });
    registerStandardIndexes(cache);
    expect(cache.byIndex('Gateway', indexNames.gatewayToGatewayConfig, 'cfg.ns')).toHaveLength(1);
  });

  it("keeps a write's answer unless it already holds that version or a newer one", () => {
    const cache = new InformerCache();
    const secret = (resourceVersion: string, value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns', resourceVersion },
      data: { value },
    });
    expect(cache.upsertIfNewer('Secret', secret('10', 'a'))).toBe(true);
    expect(cache.upsertIfNewer('Secret', secret('12', 'b'))).toBe(true);
    expect(cache.upsertIfNewer('Secret', secret('11', 'old'))).toBe(false);
    expect(cache.upsertIfNewer('Secret', secret('12', 'same'))).toBe(false);
    expect(cache.get('Secret', 'ns', 's')?.['data']).toEqual({ value: 'b' });
    // Versions are compared as integers (etcd revisions), not as strings.
    expect(isNewerVersion('100', '99')).toBe(true);
    expect(isNewerVersion('99', '100')).toBe(false);
    expect(isNewerVersion('x1', '1')).toBe(false);
    expect(isNewerVersion(undefined, '1')).toBe(false);
  });
});
