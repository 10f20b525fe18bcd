import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFilterConfig } from '@aigw/filterapi';
import { stringify } from 'yaml';

import { isResourceError } from './errors.js';
import { loadResources } from './resources.js';
import { buildStandalone, type StandaloneConfig, type StandaloneOptions } from './standalone.js';
import { substituteEnv } from './substitute-env.js';

const basic = readFileSync(new URL('testdata/basic.yaml', import.meta.url), 'utf8');
const options: StandaloneOptions = {
  listenPort: 1975,
  adminPort: 9901,
  extprocSocket: '/run/aigw/extproc.sock',
  stateDir: '/var/lib/aigw',
};

function build(text = basic, opts: StandaloneOptions = options): StandaloneConfig {
  return buildStandalone(loadResources([{ path: 'in.yaml', text }]), opts);
}

function problems(text: string, opts: StandaloneOptions = options): readonly string[] {
  try {
    build(text, opts);
  } catch (err) {
    if (isResourceError(err)) return err.problems;
    throw err;
  }
  return [];
}

type Json = Record<string, unknown>;
/** A loosely typed view of generated JSON, for probing fields the way Envoy reads them. */
const json = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;
const resources = (config: StandaloneConfig, file: keyof StandaloneConfig['xds']): Json[] =>
  config.xds[file].resources.map(json);

describe('buildStandalone: bootstrap', () => {
  const config = build();
  const { bootstrap } = config;

  it('binds admin to 127.0.0.1 and sets the graceful ext_proc close the extproc needs', () => {
    expect(bootstrap.admin).toEqual({
      address: { socket_address: { address: '127.0.0.1', port_value: 9901 } },
    });
    expect(JSON.stringify(bootstrap.layered_runtime)).toContain(
      '"envoy.reloadable_features.ext_proc_graceful_grpc_close":true',
    );
  });

  it('has the extproc cluster on its Unix socket over HTTP/2, and no rate-limit cluster', () => {
    const clusters = bootstrap.static_resources.clusters;
    expect(clusters.map((c) => c.name)).toEqual(['extproc']);
    expect(JSON.stringify(clusters[0])).toContain('{"pipe":{"path":"/run/aigw/extproc.sock"}}');
    expect(JSON.stringify(clusters[0])).toContain('http2_protocol_options');
  });

  it('limits downstream connections (the overload manager monitor Envoy warns about)', () => {
    expect(bootstrap.overload_manager).toEqual({
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            max_active_downstream_connections: 50_000,
          },
        },
      ],
    });
  });

  it('reads LDS and CDS from files in the watched xds directory', () => {
    expect(bootstrap.dynamic_resources).toEqual({
      lds_config: {
        path_config_source: {
          path: '/var/lib/aigw/xds/lds.yaml',
          watched_directory: { path: '/var/lib/aigw/xds' },
        },
        resource_api_version: 'V3',
      },
      cds_config: {
        path_config_source: {
          path: '/var/lib/aigw/xds/cds.yaml',
          watched_directory: { path: '/var/lib/aigw/xds' },
        },
        resource_api_version: 'V3',
      },
    });
    expect(Object.keys(config.xds)).toEqual(['xds/cds.yaml', 'xds/rds.yaml', 'xds/lds.yaml']);
  });

  it('adds the rate-limit cluster and filter when the caller gives an address', () => {
    const withLimiter = build(basic, { ...options, rateLimit: { host: '127.0.0.1', port: 8081 } });
    const clusters = withLimiter.bootstrap.static_resources.clusters;
    expect(clusters.map((c) => c.name)).toEqual(['extproc', 'ratelimit']);
    const lds = JSON.stringify(resources(withLimiter, 'xds/lds.yaml'));
    expect(lds).toContain('"domain":"ai-gateway"');
    expect(withLimiter.needsRateLimit).toBe(false);
    expect(withLimiter.rateLimitRules).toBeUndefined();
  });

  it('gives the extproc the token estimate when a budget reserves at admission', () => {
    const policy = `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: tokens
  annotations: {aigateway.envoyproxy.io/token-reservation: "true", aigateway.envoyproxy.io/token-reservation-default-output-tokens: "256"}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - limit: {requests: 1000, unit: Hour}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}
`;
    const limiter = { ...options, rateLimit: { host: '127.0.0.1', port: 8081 } };
    const reserving = build(`${basic}\n---\n${policy}`, limiter);
    expect(parseFilterConfig(stringify(reserving.filterConfig)).tokenReservation).toEqual({
      defaultOutputTokens: 256,
      inputBytesPerToken: 1,
    });
    const chargeAfter = build(
      `${basic}\n---\n${policy.replace(/ {2}annotations: .*\n/, '')}`,
      limiter,
    );
    expect(chargeAfter.filterConfig.tokenReservation).toBeUndefined();
  });

  it('gives the extproc the hard limits of a budget that cuts streams (token-budget-enforcement)', () => {
    const policy = `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: tokens
  annotations: {aigateway.envoyproxy.io/token-budget-enforcement: hard}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - limit: {requests: 500, unit: Day}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}
`;
    const limiter = { ...options, rateLimit: { host: '127.0.0.1', port: 8081 } };
    const hard = build(`${basic}\n---\n${policy}`, limiter);
    expect(parseFilterConfig(stringify(hard.filterConfig)).tokenReservation?.hardLimits).toEqual([
      { tokens: 500, windowSeconds: 86_400, reserves: false },
    ]);
  });

  it('keeps the bootstrap and the listener unchanged when only routes change', () => {
    const changed = build(basic.replace('value: gpt-4o-mini', 'value: gpt-4.1'));
    expect(changed.bootstrap).toEqual(config.bootstrap);
    expect(changed.xds['xds/lds.yaml']).toEqual(config.xds['xds/lds.yaml']);
    expect(changed.xds['xds/rds.yaml']).not.toEqual(config.xds['xds/rds.yaml']);
  });
});

describe('buildStandalone: clusters', () => {
  const [primary, second] = resources(build(), 'xds/cds.yaml');

  it('has one cluster per rule with a locality per backendRef, priorities ranked from 0', () => {
    expect(primary?.name).toBe('default/chat/rule/0');
    expect(primary?.type).toBe('STRICT_DNS');
    const endpoints = (primary?.load_assignment as { endpoints: Json[] }).endpoints;
    expect(endpoints.map((e) => [e.priority, e.load_balancing_weight])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(JSON.stringify(endpoints[1])).toContain(
      '"aigateway.envoy.io":{"per_route_rule_backend_name":"default/bedrock/route/chat/rule/0/ref/1","hostname":"bedrock-runtime.us-east-1.amazonaws.com"}',
    );
    expect(second?.name).toBe('default/chat/rule/1');
  });

  it('speaks TLS to port 443 with SNI and the system CAs', () => {
    const tls = JSON.stringify(primary?.transport_socket_matches);
    expect(tls).toContain('"sni":"api.openai.com"');
    expect(tls).toContain('/etc/ssl/certs/ca-certificates.crt');
    expect(tls).toContain('"sni":"bedrock-runtime.us-east-1.amazonaws.com"');
  });

  it('runs the upstream extproc, the content-length restorer and the codec last', () => {
    const options = (primary?.typed_extension_protocol_options as Record<string, Json>)[
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
    ];
    expect((options?.http_filters as Json[]).map((f) => f.name)).toEqual([
      'envoy.filters.http.ext_proc',
      'envoy.filters.http.header_mutation',
      'envoy.filters.http.upstream_codec',
    ]);
  });

  it('uses a STATIC cluster and plain HTTP for IP endpoints on other ports', () => {
    const text = basic.replace(
      'fqdn:\n        hostname: api.openai.com\n        port: 443',
      'ip:\n        address: 10.0.0.7\n        port: 8000',
    );
    const cluster = resources(build(text), 'xds/cds.yaml')[0];
    expect(JSON.stringify(cluster)).toContain('"address":"10.0.0.7","port_value":8000');
    // The fallback (bedrock) is still TLS; the IP endpoint is not.
    expect(JSON.stringify(cluster?.transport_socket_matches)).not.toContain('10.0.0.7');
  });
});

describe('buildStandalone: endpoint host names', () => {
  const ipWithHostname = basic.replace(
    'fqdn:\n        hostname: bedrock-runtime.us-east-1.amazonaws.com\n        port: 443',
    'ip:\n        address: 127.0.0.1\n        port: 8001\n      hostname: bedrock-runtime.us-east-1.amazonaws.com',
  );

  it('gives an IP endpoint its Backend hostname, in the endpoint and its metadata', () => {
    expect(ipWithHostname).not.toBe(basic);
    const cluster = resources(build(ipWithHostname), 'xds/cds.yaml')[1];
    const [locality] = (cluster?.load_assignment as { endpoints: Json[] }).endpoints;
    const [endpoint] = locality!.lb_endpoints as Json[];
    expect(endpoint).toMatchObject({
      endpoint: {
        address: { socket_address: { address: '127.0.0.1', port_value: 8001 } },
        hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
      },
      metadata: {
        filter_metadata: {
          'aigateway.envoy.io': { hostname: 'bedrock-runtime.us-east-1.amazonaws.com' },
        },
      },
    });
    // Plain HTTP on port 8001: no TLS for it.
    expect(cluster?.transport_socket_matches).toBeUndefined();
  });

  it('has the upstream extproc ask for the backend name, the host name and the route name', () => {
    const cluster = resources(build(), 'xds/cds.yaml')[0];
    const text = JSON.stringify(cluster?.typed_extension_protocol_options);
    expect(text).toContain(
      `"request_attributes":["xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['per_route_rule_backend_name']","xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['hostname']","xds.route_metadata.filter_metadata['aigateway.envoy.io']['aigw_route_name']"]`,
    );
  });

  it('names the AIGatewayRoute in every route metadata, as the route-scoped costs do', () => {
    const routes = JSON.stringify(resources(build(), 'xds/rds.yaml'));
    expect(routes).toContain('"aigateway.envoy.io":{"aigw_route_name":"default/chat"}');
  });

  it('refuses a hostname that is not a DNS name', () => {
    const bad = ipWithHostname.replace(
      'hostname: bedrock-runtime.us-east-1.amazonaws.com',
      'hostname: Not_A_Host',
    );
    expect(problems(bad)).toEqual([
      expect.stringMatching(
        /^in\.yaml: Backend default\/bedrock: spec\.endpoints\[0\]\.hostname: must be a lower-case DNS name/,
      ),
    ]);
  });
});

describe('buildStandalone: routes and listener', () => {
  const config = build();
  const [routeConfig] = resources(config, 'xds/rds.yaml');
  const hosts = (routeConfig as { virtual_hosts: { domains: string[]; routes: Json[] }[] })
    .virtual_hosts;

  it('matches the model header, with timeouts, retries to the next priority and a 404 last', () => {
    expect(hosts).toHaveLength(1);
    const routes = hosts[0]!.routes;
    expect(routes.map((r) => r.name)).toEqual([
      'default/chat/rule/0/match/0',
      'default/chat/rule/1/match/0',
      'route-not-found',
    ]);
    expect(routes[0]).toMatchObject({
      match: {
        prefix: '/',
        headers: [{ name: 'x-ai-eg-model', string_match: { exact: 'gpt-4o-mini' } }],
      },
      route: {
        cluster: 'default/chat/rule/0',
        timeout: '60s',
        auto_host_rewrite: true,
        retry_policy: {
          retry_on: '5xx,reset,connect-failure,refused-stream,retriable-status-codes',
          retriable_status_codes: [429],
          num_retries: 1,
        },
      },
    });
    expect(routes[1]).toMatchObject({
      match: { headers: [{ string_match: { safe_regex: { regex: 'llama-.*' } } }] },
      route: { timeout: '120s' },
    });
    expect((routes[1]!.route as Json).retry_policy).toBeUndefined();
    expect(routes[2]).toMatchObject({ direct_response: { status: 404 } });
    const body = JSON.parse(
      ((routes[2]!.direct_response as Json).body as { inline_string: string }).inline_string,
    ) as Json;
    expect(body).toMatchObject({ error: { type: 'not_found_error' } });
  });

  it('orders rules with more header matches first and gives host names their own virtual host', () => {
    const text = basic.replace(
      'spec:\n  parentRefs:\n    - name: aigw\n',
      'spec:\n  parentRefs:\n    - name: aigw\n  hostnames: [llm.example.com]\n',
    );
    const routeConfig = resources(build(text), 'xds/rds.yaml')[0] as {
      virtual_hosts: { domains: string[]; routes: Json[] }[];
    };
    expect(routeConfig.virtual_hosts.map((h) => h.domains)).toEqual([
      ['llm.example.com', 'llm.example.com:*'],
      ['*'],
    ]);
    expect(routeConfig.virtual_hosts[1]!.routes.map((r) => r.name)).toEqual(['route-not-found']);
  });

  it('listens on 0.0.0.0 with the router-level extproc before the router, routes from RDS', () => {
    const [listener] = resources(config, 'xds/lds.yaml');
    const text = JSON.stringify(listener);
    expect(text).toContain('"socket_address":{"address":"0.0.0.0","port_value":1975}');
    expect(text).toContain('"route_config_name":"aigw"');
    expect(text).toContain('"path":"/var/lib/aigw/xds/rds.yaml"');
    const hcm = ((listener?.filter_chains as Json[])[0]!.filters as Json[])[0]!
      .typed_config as Json;
    expect((hcm.http_filters as Json[]).map((f) => f.name)).toEqual([
      'envoy.filters.http.ext_proc',
      'envoy.filters.http.router',
    ]);
    expect(JSON.stringify(hcm.access_log)).toContain('llm_total_token');
    expect(JSON.stringify(hcm.local_reply_config)).toContain("startsWith('aigw_')");
  });

  it('marks mapped local replies and answers /v1/messages in Anthropic JSON', () => {
    const [listener] = resources(config, 'xds/lds.yaml');
    const hcm = ((listener?.filter_chains as Json[])[0]!.filters as Json[])[0]!
      .typed_config as Json;
    const mappers = (hcm.local_reply_config as { mappers: Json[] }).mappers;
    // The pass-through mapper, then five per dialect: Gemini, Cohere, Anthropic, OpenAI (first
    // match wins, in the order of the extproc's EndpointMatcher.dialectFor).
    expect(mappers).toHaveLength(21);
    for (const mapper of mappers.slice(1)) {
      expect(mapper.headers_to_add).toEqual([
        {
          header: { key: 'x-aigw-local-reply', value: 'true' },
          append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
        },
      ]);
    }
    expect(JSON.stringify(mappers[1])).toContain(
      "metadata.filter_metadata['io.envoy.ai_gateway']['original_path']",
    );
    expect(JSON.stringify(mappers[1])).toContain('/models/[^/?]+:[A-Za-z]+');
    expect((mappers[2]!.body_format_override as Json).json_format).toEqual({
      error: {
        code: '%RESPONSE_CODE%',
        message: 'upstream request timeout',
        status: 'UNAVAILABLE',
      },
    });
    expect(JSON.stringify(mappers[6])).toContain('^/cohere(?:[/?]|$)');
    expect((mappers[7]!.body_format_override as Json).json_format).toEqual({
      message: 'upstream request timeout',
    });
    expect(JSON.stringify(mappers[11])).toContain('/v1/messages');
    expect((mappers[12]!.body_format_override as Json).json_format).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'upstream request timeout' },
    });
    expect((mappers[17]!.body_format_override as Json).json_format).toEqual({
      error: { message: 'upstream request timeout', type: 'server_error', param: null, code: null },
    });
  });
});

describe('buildStandalone: filter config and files', () => {
  const config = build();

  it('is a valid filter config naming credential files under the state directory', () => {
    const parsed = parseFilterConfig(stringify(config.filterConfig));
    expect(parsed.backends.map((b) => b.name)).toEqual([
      'default/openai/route/chat/rule/0/ref/0',
      'default/bedrock/route/chat/rule/0/ref/1',
      'default/bedrock/route/chat/rule/1/ref/0',
    ]);
    expect(parsed.backends[0]?.auth).toEqual({
      apiKey: { file: '/var/lib/aigw/credentials/default.openai-apikey.apiKey' },
    });
    expect(parsed.backends[1]).toMatchObject({
      modelNameOverride: 'us.meta.llama3-2-1b-instruct-v1:0',
      auth: {
        aws: {
          credentialsFile: '/var/lib/aigw/credentials/default.bedrock-credentials.credentials',
          region: 'us-east-1',
        },
      },
    });
    expect(parsed.models).toEqual([
      { name: 'gpt-4o-mini', ownedBy: 'openai', createdAt: '2025-05-23T00:00:00Z' },
    ]);
    expect(parsed.llmRequestCosts).toEqual([
      { metadataKey: 'llm_total_token', type: 'TotalToken', routeName: 'default/chat' },
      {
        metadataKey: 'weighted',
        type: 'CEL',
        cel: 'input_tokens + output_tokens * 3u',
        routeName: 'default/chat',
      },
    ]);
  });

  it('lists extra models (a catch-all provider’s own list) after the routes’ exact models', () => {
    const extra = build(basic, {
      ...options,
      extraModels: [
        { name: 'gpt-4o-mini', ownedBy: 'someone-else' },
        { name: 'o3', ownedBy: 'openai', createdAt: '2025-04-16T00:00:00Z' },
      ],
    });
    expect(parseFilterConfig(stringify(extra.filterConfig)).models).toEqual([
      // The route's own entry wins over the provider's for the same name.
      { name: 'gpt-4o-mini', ownedBy: 'openai', createdAt: '2025-05-23T00:00:00Z' },
      { name: 'o3', ownedBy: 'openai', createdAt: '2025-04-16T00:00:00Z' },
    ]);
  });

  it('writes each credential once, from stringData or base64 data', () => {
    expect(config.files).toEqual({
      'credentials/default.openai-apikey.apiKey': 'sk-test-openai',
      'credentials/default.bedrock-credentials.credentials':
        '[default]\naws_access_key_id = AKIA\naws_secret_access_key = secret\n',
    });
  });

  it('summarises the routes for the banner', () => {
    expect(config.summary).toEqual({
      address: 'http://localhost:1975',
      routes: [
        {
          route: 'default/chat/rule/0',
          models: ['gpt-4o-mini'],
          backends: ['default/openai', 'default/bedrock'],
        },
        { route: 'default/chat/rule/1', models: ['~llama-.*'], backends: ['default/bedrock'] },
      ],
    });
  });
});

describe('buildStandalone: route costs', () => {
  it('scopes each route cost to its route, so two routes may charge one key differently', () => {
    const other =
      '---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: other}\nspec:\n  rules: [{backendRefs: [{name: openai}]}]\n  llmRequestCosts: [{metadataKey: weighted, type: OutputToken}]\n';
    const config = build(`${basic}\n${other}`);
    const parsed = parseFilterConfig(stringify(config.filterConfig));
    expect(parsed.llmRequestCosts.filter((c) => c.metadataKey === 'weighted')).toEqual([
      {
        metadataKey: 'weighted',
        type: 'CEL',
        cel: 'input_tokens + output_tokens * 3u',
        routeName: 'default/chat',
      },
      { metadataKey: 'weighted', type: 'OutputToken', routeName: 'default/other' },
    ]);
  });
});

describe('buildStandalone: GatewayConfig', () => {
  const withConfig = (spec: string): string =>
    `${basic.replace('  name: aigw\n', '  name: aigw\n  annotations: {aigateway.envoyproxy.io/gateway-config: gwc}\n')}\n---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: GatewayConfig\nmetadata: {name: gwc}\nspec: ${spec}\n`;

  it('adds the global costs of the GatewayConfig its Gateway names, for every route', () => {
    const config = build(
      withConfig('{globalLLMRequestCosts: [{metadataKey: all, type: TotalToken}]}'),
    );
    const parsed = parseFilterConfig(stringify(config.filterConfig));
    expect(parsed.llmRequestCosts.filter((c) => c.metadataKey === 'all')).toEqual([
      { metadataKey: 'all', type: 'TotalToken' },
    ]);
  });

  it('refuses the fields it does not run', () => {
    expect(problems(withConfig("{forwardProxy: {address: 'proxy:3128'}}"))).toContain(
      'in.yaml: GatewayConfig default/gwc: spec.forwardProxy: not supported by aigw run yet',
    );
  });
});

describe('buildStandalone: what it cannot run', () => {
  it.each([
    {
      what: 'AWS OIDC without its client secret',
      edit: [
        '    credentialsFile:\n      secretRef:\n        name: aws-credentials',
        '    oidcExchangeToken:\n      awsRoleArn: arn:aws:iam::1:role/x\n      oidc:\n        provider: {issuer: https://i}\n        clientSecret: {name: s}',
      ],
      problem:
        'in.yaml: BackendSecurityPolicy default/bedrock-credentials: spec.awsCredentials.oidcExchangeToken.oidc.clientSecret.name: Secret default/s not found',
    },
    {
      what: 'an MCPRoute',
      edit: [
        '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: openai-apikey',
        '---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: MCPRoute\nmetadata: {name: tools}\nspec:\n  parentRefs: [{name: aigw}]\n  backendRefs: [{name: github, kind: Backend, group: gateway.envoyproxy.io}]\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: openai-apikey',
      ],
      problem: 'in.yaml: MCPRoute default/tools: not supported by aigw run yet',
    },
    {
      what: 'a credential override',
      edit: [
        '  type: APIKey\n',
        '  type: APIKey\n  credentialOverride:\n    fromRequestHeaders: {header: x-key}\n',
      ],
      problem:
        'in.yaml: BackendSecurityPolicy default/openai-apikey: spec.credentialOverride: not supported by aigw yet',
    },
    {
      what: 'a cost key listed twice in one route',
      edit: [
        '    - metadataKey: weighted\n',
        '    - metadataKey: llm_total_token\n      type: InputToken\n    - metadataKey: weighted\n',
      ],
      problem:
        'in.yaml: AIGatewayRoute default/chat: spec.llmRequestCosts[1].metadataKey: "llm_total_token" is listed twice',
    },
    {
      what: 'a header mutation of a header the gateway owns',
      edit: [
        'metadata:\n  name: openai\n  namespace: default\nspec:\n',
        'metadata:\n  name: openai\n  namespace: default\nspec:\n  headerMutation:\n    remove: [Content-Length]\n',
      ],
      problem:
        'filter config: backends[0].headerMutation.remove[0]: content-length is managed by the gateway and cannot be mutated',
    },
  ])('reports $what with the file, object and field', ({ edit, problem }) => {
    const [from, to] = edit as [string, string];
    expect(basic).toContain(from);
    expect(problems(basic.replace(from, to))).toContainEqual(problem);
  });

  it('names the GCP and Azure token keys it reads', () => {
    const text = `${basic}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: vertex}
spec:
  schema: {name: GCPVertexAI}
  backendRef: {name: openai, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: vertex}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: vertex}]
  type: GCPCredentials
  gcpCredentials:
    projectName: p
    region: us-central1
    credentialsFile: {secretRef: {name: gcp}}
---
apiVersion: v1
kind: Secret
metadata: {name: gcp}
stringData: {service_account.json: '{}'}
`.replace('        - name: bedrock\n      timeouts', '        - name: vertex\n      timeouts');
    expect(problems(text.replace("{service_account.json: '{}'}", '{key.json: x}'))).toEqual([
      'in.yaml: BackendSecurityPolicy default/vertex: spec.gcpCredentials.credentialsFile.secretRef.name: Secret default/gcp has no key "service_account.json" or "token"',
    ]);
    // The key is exchanged by aigw run (a rotation), a ready token is used as it is.
    expect(build(text).rotations.map((r) => [r.kind, r.path])).toEqual([
      ['gcp-service-account-key', '/var/lib/aigw/credentials/default.vertex.token'],
    ]);
    const config = build(text.replace("{service_account.json: '{}'}", '{token: ya29.token}'));
    expect(config.files['credentials/default.vertex.token']).toBe('ya29.token');
    expect(config.rotations).toEqual([]);
  });
});

describe('examples', () => {
  const env = {
    OPENAI_API_KEY: 'sk-openai',
    ANTHROPIC_API_KEY: 'sk-ant',
    AWS_ACCESS_KEY_ID: 'AKIA',
    AWS_SECRET_ACCESS_KEY: 'secret',
    GCP_ACCESS_TOKEN: 'ya29.token',
    GCP_PROJECT: 'my-project',
  };
  it.each(['quickstart.yaml', 'multi-provider.yaml', 'token-ratelimit.yaml'])(
    '%s loads and builds',
    (name) => {
      const raw = readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8');
      const text = substituteEnv(raw, env, { file: name });
      const config = buildStandalone(loadResources([{ path: name, text }]), {
        ...options,
        rateLimit: { host: '127.0.0.1', port: 8081 },
      });
      expect(() => parseFilterConfig(stringify(config.filterConfig))).not.toThrow();
      expect(config.needsRateLimit).toBe(name === 'token-ratelimit.yaml');
      expect(config.summary.routes.length).toBeGreaterThan(0);
    },
  );
});
