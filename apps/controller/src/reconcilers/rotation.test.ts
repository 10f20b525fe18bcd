import type { PolicyInput } from '@aigw/cloud-credentials';
import { createLogger } from '@aigw/service-kit/core';
import { describe, expect, it } from 'vitest';
import { InformerCache } from '../runtime/cache.js';
import type { Kind, KubeObject, ReconcileContext } from '../runtime/contracts.js';
import { registerStandardIndexes } from '../runtime/indexes.js';
import { createCredentialRotator, credentialSourceAnnotation, sourceDigest } from './rotation.js';

/** The decision half of the rotator (no token service: nothing here is due or exchangeable). */
const namespace = 'ns';
const now = new Date('2026-12-01T10:00:00Z');

function policy(spec: object): KubeObject {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'BackendSecurityPolicy',
    metadata: { name: 'p', namespace, uid: 'uid-1', generation: 1 },
    spec,
  };
}

const gcpKey: PolicyInput['spec'] = {
  type: 'GCPCredentials',
  gcpCredentials: {
    projectName: 'proj',
    region: 'r',
    credentialsFile: { secretRef: { name: 'key' } },
  },
};

function context(objects: KubeObject[]): ReconcileContext & { applied: KubeObject[] } {
  const applied: KubeObject[] = [];
  const cache = new InformerCache();
  registerStandardIndexes(cache);
  for (const object of objects) cache.upsert(object.kind as Kind, object);
  return {
    applied,
    cache,
    writer: {
      apply: (object) => {
        applied.push(object);
        return Promise.resolve(object);
      },
      patchStatus: () => Promise.resolve(),
      patchMetadata: () => Promise.resolve(),
      delete: () => Promise.resolve(),
      applyUnwatched: () => Promise.resolve(),
    },
    enqueue: () => undefined,
    log: createLogger({ name: 'test', level: 'silent', format: 'json' }),
    signal: new AbortController().signal,
  };
}

const rotatedSecret = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'ai-eg-bsp-p', namespace, annotations },
});

describe('createCredentialRotator', () => {
  it('leaves policies without an exchange alone', async () => {
    const rotate = createCredentialRotator({ now: () => now });
    const apiKey = policy({ type: 'APIKey', apiKey: { secretRef: { name: 'k' } } });
    expect(await rotate(apiKey, context([]))).toBeUndefined();
  });

  it('reports a missing source Secret as the problem, retrying after a minute, writing nothing', async () => {
    const rotate = createCredentialRotator({ now: () => now });
    const ctx = context([]);
    expect(await rotate(policy(gcpKey), ctx)).toEqual({
      requeueAfterMs: 60_000,
      problem:
        'BackendSecurityPolicy ns/p: credential rotation failed: spec.gcpCredentials.credentialsFile.secretRef: Secret ns/key not found',
    });
    expect(ctx.applied).toEqual([]);
  });

  it('comes back 5 minutes before the stored expiry when nothing changed', async () => {
    const key: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'key', namespace, resourceVersion: '7' },
    };
    const rotate = createCredentialRotator({ now: () => now });
    // No rotated Secret: the exchange is tried (the key has no service_account.json: a problem).
    const first = await rotate(policy(gcpKey), context([key]));
    expect(first?.problem).toContain('has no key "service_account.json"');

    const source = sourceDigest(context([key]).cache, { namespace, name: 'p', spec: gcpKey });
    const fresh = rotatedSecret({
      'rotators/expiration-time': '2026-12-01T11:00:00Z',
      [credentialSourceAnnotation]: source,
    });
    const ctx = context([key, fresh]);
    expect(await rotate(policy(gcpKey), ctx)).toEqual({ requeueAfterMs: 55 * 60_000 });
    expect(ctx.applied).toEqual([]);

    // Within the window, or from another source (the key was replaced): exchange again.
    const due = rotatedSecret({
      'rotators/expiration-time': '2026-12-01T10:04:00Z',
      [credentialSourceAnnotation]: source,
    });
    expect((await rotate(policy(gcpKey), context([key, due])))?.problem).toBeDefined();
    const replaced = { ...key, metadata: { ...key.metadata, resourceVersion: '8' } };
    expect((await rotate(policy(gcpKey), context([replaced, fresh])))?.problem).toBeDefined();
  });
});
