import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { FileRouteStore, routesOfFile } from './file-routes.js';

const route = (name: string, backend: string): string => `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIGatewayRoute
metadata: { name: ${name} }
spec:
  rules:
    - backendRefs: [{ name: ${backend} }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: aigw }
spec: { gatewayClassName: x, listeners: [] }
`;

describe('AIGatewayRoutes from files', () => {
  it('reads only AIGatewayRoutes, in namespace default when none is given', () => {
    const routes = routesOfFile('a.yaml', route('chat', 'openai'));
    expect(routes.map((r) => [r.metadata.namespace, r.metadata.name])).toEqual([
      ['default', 'chat'],
    ]);
  });

  it('names the file and document of an invalid route', () => {
    expect(() =>
      routesOfFile('bad.yaml', 'kind: AIGatewayRoute\nmetadata: { name: x }\nspec: { rules: 3 }\n'),
    ).toThrow(/^bad\.yaml: document 0: invalid AIGatewayRoute/);
  });

  it('re-reads a directory when a file changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-routes-'));
    writeFileSync(join(dir, 'routes.yaml'), route('chat', 'openai'));
    const store = new FileRouteStore([dir]);
    store.refresh();
    expect(store.get('default', 'chat')?.spec?.rules[0]?.backendRefs?.[0]?.name).toBe('openai');
    writeFileSync(join(dir, 'routes.yaml'), route('chat', 'bedrock-runtime'));
    store.refresh();
    expect(store.get('default', 'chat')?.spec?.rules[0]?.backendRefs?.[0]?.name).toBe(
      'bedrock-runtime',
    );
  });
});
