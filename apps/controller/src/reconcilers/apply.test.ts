import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../runtime/contracts.js';
import { compactCached, digested, isUpToDate, specDigest } from './apply.js';

function httpRoute(
  backendRef: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'ns', labels: { app: 'x' } },
    spec: {
      parentRefs: [{ name: 'gw' }],
      rules: [{ backendRefs: [backendRef], matches: [{ path: { value: '/' } }] }],
    },
    ...extra,
  };
}

/** What the API server stores for {@link httpRoute}: its defaults filled in, status and more metadata. */
function stored(desired: KubeObject, weight = 1): KubeObject {
  const spec = desired['spec'] as {
    rules: { backendRefs: Record<string, unknown>[]; matches: unknown[] }[];
  };
  return {
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: { ...desired.metadata, resourceVersion: '7', labels: { app: 'x', other: 'y' } },
    spec: {
      rules: spec.rules.map((rule) => ({
        matches: [{ path: { value: '/', type: 'PathPrefix' } }],
        backendRefs: rule.backendRefs.map((ref) => ({
          group: '',
          kind: 'Service',
          weight,
          ...ref,
        })),
      })),
      parentRefs: [{ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' }],
    },
    status: { parents: [{ conditions: [] }] },
  };
}

describe('specDigest', () => {
  it('is the same for the desired object and what the API server stores of it', () => {
    const desired = httpRoute({ name: 'b' });
    expect(specDigest(stored(desired))).toBe(specDigest(desired));
  });

  it('differs when a field differs, including a default set to another value', () => {
    const desired = httpRoute({ name: 'b' });
    expect(specDigest(stored(desired, 5))).not.toBe(specDigest(desired));
    expect(specDigest(httpRoute({ name: 'c' }))).not.toBe(specDigest(desired));
  });
});

describe('isUpToDate with digests', () => {
  it('compares a digested stored object like the whole one', () => {
    const desired = httpRoute({ name: 'b' });
    const whole = stored(desired);
    expect(isUpToDate(desired, whole)).toBe(true);
    expect(isUpToDate(desired, digested(whole))).toBe(true);
    expect(isUpToDate(digested(desired), digested(whole))).toBe(true);
    expect(isUpToDate(desired, digested(stored(desired, 3)))).toBe(false);
  });

  it('still requires the labels it sets', () => {
    const desired = httpRoute({ name: 'b' });
    const whole = stored(desired);
    const relabelled = { ...whole, metadata: { ...whole.metadata, labels: { other: 'y' } } };
    expect(isUpToDate(desired, digested(relabelled))).toBe(false);
  });

  it('never takes a digest for a whole stored object it cannot compare field by field', () => {
    const desired = httpRoute({ name: 'b' });
    expect(isUpToDate(digested(desired), stored(desired))).toBe(false);
  });
});

describe('compactCached', () => {
  it('keeps generated routes, filters and config Secrets as metadata plus a digest', () => {
    const route = stored(httpRoute({ name: 'b' }));
    const compact = compactCached('HTTPRoute', route);
    expect(Object.keys(compact).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'specDigest']);
    expect(compact.metadata).toBe(route.metadata);

    const configSecret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gw-ns', labels: { 'aigateway.envoyproxy.io/filter-config': 'index' } },
      data: { 'index.yaml': 'e30=' },
    };
    expect(compactCached('Secret', configSecret)['data']).toBeUndefined();
  });

  it('keeps every other object whole, including credential Secrets', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'key' },
      data: { apiKey: 'c2s=' },
    };
    expect(compactCached('Secret', secret)).toBe(secret);
    const route = stored(httpRoute({ name: 'b' }));
    expect(compactCached('AIGatewayRoute', route)).toBe(route);
  });
});
