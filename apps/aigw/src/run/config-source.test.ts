import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSource, loadGatewayConfig } from './config-source.js';

const upstreamOpenAI = readFileSync(
  new URL('../../../../packages/gateway-config/src/testdata/upstream/openai.yaml', import.meta.url),
  'utf8',
);

const gateway = `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: envoy-ai-gateway-basic, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
`;

function load(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-config-source-'));
  const path = join(dir, 'gateway.yaml');
  writeFileSync(path, text);
  const options = {
    listenPort: 1975,
    adminPort: 1064,
    extprocSocket: join(dir, 'extproc.sock'),
    stateDir: dir,
  };
  return { path, outcome: loadGatewayConfig(configSource([path]), { env, options }) };
}

describe('loadGatewayConfig', () => {
  it("loads upstream's example, warning about the unknown field and the unused listener port", async () => {
    const { path, outcome } = load(`${upstreamOpenAI}${gateway}`);
    const loaded = await outcome;
    expect(loaded.ok).toBe(true);
    expect(loaded.ok && loaded.warnings).toEqual([
      `${path}: AIServiceBackend default/envoy-ai-gateway-basic-openai: unknown field "spec.schema.capabilities" (ignored)`,
      `${path}: Gateway default/envoy-ai-gateway-basic: spec.listeners[0].port: 80 is not opened; aigw run serves every route on port 1975 (--port)`,
    ]);
  });

  it('explains that a Service backendRef cannot be resolved outside a cluster, naming file and object', async () => {
    const text = upstreamOpenAI.replace(
      '    name: envoy-ai-gateway-basic-openai\n    kind: Backend\n    group: gateway.envoyproxy.io',
      '    name: vllm\n    port: 8000',
    );
    const { path, outcome } = load(text);
    const loaded = await outcome;
    expect(loaded.ok ? [] : loaded.problems).toEqual([
      `${path}: AIServiceBackend default/envoy-ai-gateway-basic-openai: spec.backendRef: Service default/vllm cannot be resolved outside a cluster; aigw run needs an Envoy Gateway Backend (group gateway.envoyproxy.io, kind Backend) with the address (use aigw translate to deploy this object to Kubernetes)`,
    ]);
  });
});
