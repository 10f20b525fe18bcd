import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { legacyFilterConfigKey, parseFilterConfig } from '@aigw/filterapi';

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
      'Secret/aigw-default-7b45c098724a-part-000',
      'Secret/aigw-default-7b45c098724a',
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
    expect(kinds(text).filter((k) => k.startsWith('Secret/aigw-default'))).toEqual([]);
  });

  it('writes the config with the credentials inlined, the same objects every time', () => {
    const translate = () =>
      translateToKubernetes(loadResources([{ path: 'in.yaml', text: basic }]));
    const objects = translate() as {
      kind: string;
      metadata: { name: string; labels?: Record<string, string> };
      data?: Record<string, string>;
    }[];
    expect(translate()).toEqual(objects);
    const legacy = objects.find((o) => o.metadata.name === 'aigw-default');
    expect(legacy?.metadata.labels).toEqual({
      'aigateway.envoyproxy.io/gateway-name': 'aigw',
      'aigateway.envoyproxy.io/gateway-namespace': 'default',
      'aigateway.envoyproxy.io/filter-config': 'legacy',
    });
    const config = parseFilterConfig(
      Buffer.from(legacy?.data?.[legacyFilterConfigKey] ?? '', 'base64').toString('utf8'),
    );
    const aws = {
      aws: {
        credentialFileLiteral:
          '[default]\naws_access_key_id = AKIA\naws_secret_access_key = secret\n',
        region: 'us-east-1',
      },
    };
    expect(config.backends.map((b) => b.auth)).toEqual([
      { apiKey: { key: 'sk-test-openai' } },
      aws,
      aws,
    ]);
  });

  it("copies the route's labels and annotations onto the HTTPRoute, ours winning", () => {
    const text = basic.replace(
      'metadata:\n  name: chat\n',
      [
        'metadata:',
        '  name: chat',
        '  labels: {team: ml}',
        '  annotations:',
        '    note: hi',
        "    gateway.envoyproxy.io/ai-gateway-generated: 'false'",
        '    kubectl.kubernetes.io/last-applied-configuration: "{}"',
        '',
      ].join('\n'),
    );
    expect(text).not.toBe(basic);
    const route = translateToKubernetes(loadResources([{ path: 'in.yaml', text }])).find(
      (o) => (o as { kind: string }).kind === 'HTTPRoute',
    ) as { metadata: { labels?: unknown; annotations?: unknown } };
    expect(route.metadata.labels).toEqual({ team: 'ml' });
    expect(route.metadata.annotations).toEqual({
      note: 'hi',
      'gateway.envoyproxy.io/ai-gateway-generated': 'true',
      'gateway.envoyproxy.io/backend-ref-priority': '0:openai:0,0:bedrock:1,1:bedrock:0',
    });
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

  const withGatewayConfig = (spec: string, annotate = true): string =>
    `${annotate ? basic.replace('  name: aigw\n  namespace: default\n', '  name: aigw\n  namespace: default\n  annotations: {aigateway.envoyproxy.io/gateway-config: gwc}\n') : basic}\n---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: GatewayConfig\nmetadata: {name: gwc, namespace: default}\nspec: ${spec}\n`;

  const costsOf = (text: string): unknown => {
    const secret = translateToKubernetes(loadResources([{ path: 'in.yaml', text }])).find(
      (o) =>
        (o as { kind: string }).kind === 'Secret' &&
        (o as { data?: object }).data !== undefined &&
        legacyFilterConfigKey in (o as { data: object }).data,
    ) as { data: Record<string, string> };
    const config = parseFilterConfig(
      Buffer.from(secret.data[legacyFilterConfigKey] ?? '', 'base64').toString('utf8'),
    );
    return config.llmRequestCosts.map((c) => [c.metadataKey, c.routeName ?? '*']);
  };

  it("appends the global costs of the Gateway's GatewayConfig after the routes' own", () => {
    const global = '{globalLLMRequestCosts: [{metadataKey: all_tokens, type: TotalToken}]}';
    const routeCosts = costsOf(basic) as unknown[];
    expect(costsOf(withGatewayConfig(global))).toEqual([...routeCosts, ['all_tokens', '*']]);
    // A GatewayConfig no Gateway names changes nothing.
    expect(costsOf(withGatewayConfig(global, false))).toEqual(routeCosts);
  });

  it('refuses the GatewayConfig fields it does not generate rather than dropping them', () => {
    const text = withGatewayConfig("{forwardProxy: {address: 'proxy:3128'}}");
    expect(() => kinds(text)).toThrow(
      'in.yaml: GatewayConfig default/gwc: spec.forwardProxy: not supported by aigw yet',
    );
  });
});
