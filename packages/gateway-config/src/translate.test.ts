import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { isResourceError } from './errors.js';
import { loadResources } from './resources.js';
import { translateToKubernetes } from './translate.js';

const basic = readFileSync(new URL('testdata/basic.yaml', import.meta.url), 'utf8');

const kinds = (text: string): string[] =>
  translateToKubernetes(loadResources([{ path: 'in.yaml', text }])).map(
    (o) => `${(o as { kind: string }).kind}/${(o as { metadata: { name: string } }).metadata.name}`,
  );

describe('translateToKubernetes', () => {
  it('generates the route objects and one config Secret per Gateway, then the user objects', () => {
    expect(kinds(basic)).toEqual([
      'HTTPRoute/chat',
      'HTTPRouteFilter/ai-eg-host-rewrite-chat',
      'HTTPRouteFilter/ai-eg-route-not-found-response-chat',
      'Secret/aigw-default',
      'Gateway/aigw',
      'Backend/openai',
      'Backend/bedrock',
      'Secret/openai-apikey',
      'Secret/aws-credentials',
    ]);
  });

  it('makes no config Secret for a route attached to no Gateway', () => {
    const text = basic.replace('  parentRefs:\n    - name: aigw\n', '');
    expect(kinds(text).filter((k) => k === 'Secret/aigw-default')).toEqual([]);
  });

  it('refuses an MCPRoute, naming it', () => {
    const text = `${basic}\n---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: MCPRoute\nmetadata: {name: tools}\nspec:\n  parentRefs: [{name: aigw}]\n  backendRefs: [{name: github, kind: Backend, group: gateway.envoyproxy.io}]\n`;
    let error: unknown;
    try {
      kinds(text);
    } catch (err) {
      error = err;
    }
    expect(isResourceError(error) && error.problems).toEqual([
      'in.yaml: MCPRoute default/tools: not supported by aigw yet',
    ]);
  });

  it('points the HTTPRoute at the Service an AIServiceBackend names, port included (as upstream)', () => {
    const text = basic.replace(
      '    name: openai\n    kind: Backend\n    group: gateway.envoyproxy.io',
      '    name: vllm\n    namespace: models\n    port: 8000',
    );
    expect(text).not.toBe(basic);
    const objects = translateToKubernetes(
      loadResources([{ path: 'in.yaml', text }], { target: 'kubernetes' }),
    ) as { kind: string; spec: { rules: { backendRefs?: unknown[] }[] } }[];
    const route = objects.find((o) => o.kind === 'HTTPRoute');
    expect(route?.spec.rules.flatMap((r) => r.backendRefs ?? [])).toContainEqual({
      group: '',
      kind: 'Service',
      name: 'vllm',
      namespace: 'models',
      port: 8000,
    });
    expect(objects.map((o) => o.kind)).toContain('Secret');
  });

  it('refuses a GatewayConfig rather than dropping its costs and proxy silently', () => {
    const text = `${basic}\n---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: GatewayConfig\nmetadata: {name: gwc}\nspec: {}\n`;
    expect(() => kinds(text)).toThrow(
      'in.yaml: GatewayConfig default/gwc: not supported by aigw yet',
    );
  });
});
