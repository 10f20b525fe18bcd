import { describe, expect, it } from 'vitest';
import { validateManifests } from './manifests.js';
import { celSkipped } from './schema/messages.js';

describe('validateManifests', () => {
  it('validates the group documents of a stream and skips the rest', () => {
    const text = [
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: Gateway',
      'metadata: { name: gw }',
      '---',
      'apiVersion: aigateway.envoyproxy.io/v1beta1',
      'kind: AIGatewayRoute',
      'metadata: { name: r }',
      'spec: { parentRefs: [{ name: gw }] }',
      '---',
      'apiVersion: aigateway.envoyproxy.io/v1beta1',
      'kind: AIServiceBackend',
      'metadata: { name: b }',
      'spec:',
      '  schema: { name: OpenAI }',
      '  backendRef: { name: be, kind: Backend, group: gateway.envoyproxy.io }',
    ].join('\n');
    expect(validateManifests(text)).toEqual([
      {
        index: 1,
        result: { ok: false, errors: ['spec.rules: Required value', celSkipped], warnings: [] },
      },
      { index: 2, result: expect.objectContaining({ ok: true }) as unknown },
    ]);
  });

  it('reports YAML syntax errors', () => {
    const [first] = validateManifests('kind: [unclosed');
    expect(first?.result.ok).toBe(false);
  });
});
