import { describe, expect, it } from 'vitest';
import { PodSchema, type JsonPatchAdd, type Pod } from '../admission.js';
import { isWebhookError } from '../errors.js';
import { sidecarPatch } from './patch.js';
import { buildSidecar } from './sidecar.js';

const sidecar = buildSidecar({
  settings: {
    image: 'aigw-extproc:test',
    imagePullPolicy: 'IfNotPresent',
    imagePullSecrets: ['regcred'],
    logLevel: 'info',
    logFormat: 'json',
    env: [],
    socketPath: '/etc/ai-gateway-extproc-uds/run.sock',
    adminPort: 1064,
  },
  gateway: { namespace: 'team-a', name: 'gw' },
  namespace: 'eg',
  gatewayConfig: undefined,
  native: true,
});

/** Applies `add` operations (the only kind the webhook emits) the way RFC 6902 defines them. */
function apply(doc: unknown, patch: readonly JsonPatchAdd[]): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const op of patch) {
    const segments = op.path
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = segments.pop() ?? '';
    let target: unknown = copy;
    for (const s of segments) target = (target as Record<string, unknown>)[s];
    if (Array.isArray(target) && last === '-') target.push(op.value);
    else (target as Record<string, unknown>)[last] = op.value;
  }
  return copy;
}

const pod = (spec: Record<string, unknown>): Pod =>
  PodSchema.parse({ metadata: { name: 'p' }, spec });

describe('sidecar JSON patch', () => {
  it('creates the arrays a pod lacks', () => {
    const before = pod({ containers: [{ name: 'envoy' }] });
    const after = apply(before, sidecarPatch(before, sidecar)) as Pod;
    expect(after.spec.volumes?.map((v) => v.name)).toEqual([
      'ai-gateway-extproc-uds',
      'ai-gateway-extproc-config',
      'ai-gateway-extproc-token',
    ]);
    expect(after.spec.initContainers?.map((c) => c.name)).toEqual(['ai-gateway-extproc']);
    expect(after.spec.containers[0]?.volumeMounts).toEqual([
      { name: 'ai-gateway-extproc-uds', mountPath: '/etc/ai-gateway-extproc-uds' },
    ]);
    expect(after.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  it('appends to existing arrays and mounts the socket in the envoy container only', () => {
    const before = pod({
      containers: [
        { name: 'envoy', volumeMounts: [{ name: 'certs', mountPath: '/certs' }] },
        { name: 'shutdown-manager' },
      ],
      initContainers: [{ name: 'init' }],
      volumes: [{ name: 'certs', secret: { secretName: 'envoy' } }],
      imagePullSecrets: [{ name: 'regcred' }],
    });
    const after = apply(before, sidecarPatch(before, sidecar)) as Pod;
    expect(after.spec.volumes?.map((v) => v.name)).toEqual([
      'certs',
      'ai-gateway-extproc-uds',
      'ai-gateway-extproc-config',
      'ai-gateway-extproc-token',
    ]);
    expect(after.spec.initContainers?.map((c) => c.name)).toEqual(['init', 'ai-gateway-extproc']);
    expect(after.spec.containers[0]?.volumeMounts?.map((m) => m.name)).toEqual([
      'certs',
      'ai-gateway-extproc-uds',
    ]);
    expect(after.spec.containers[1]).toEqual({ name: 'shutdown-manager' });
    expect(after.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  it('adds a regular container when the sidecar is not native', () => {
    const before = pod({ containers: [{ name: 'envoy' }] });
    const after = apply(before, sidecarPatch(before, { ...sidecar, native: false })) as Pod;
    expect(after.spec.containers.map((c) => c.name)).toEqual(['envoy', 'ai-gateway-extproc']);
    expect(after.spec.initContainers).toBeUndefined();
  });

  it('refuses a proxy pod without an envoy container, naming its containers', () => {
    const before = pod({ containers: [{ name: 'proxy' }] });
    let caught: unknown;
    try {
      sidecarPatch(before, sidecar);
    } catch (err) {
      caught = err;
    }
    expect(isWebhookError(caught) && caught.code).toBe('invalid_pod');
    expect((caught as Error).message).toContain('(containers: proxy)');
  });
});
