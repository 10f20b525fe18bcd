import { describe, expect, it } from 'vitest';
import type { AIGatewayRoute, BackendSecurityPolicy, MCPRoute } from './gen/types.generated.js';
import { celSkipped } from './schema/messages.js';
import { aiGatewayRouteSchema } from './schemas.js';
import { validateResource } from './validate.js';

const route = (spec: unknown): unknown => ({
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'AIGatewayRoute',
  metadata: { name: 'r' },
  spec,
});

describe('validateResource', () => {
  it('applies CRD defaults like the API server', () => {
    const result = validateResource(
      route({ parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'b' }] }] }),
    );
    expect(result.ok).toBe(true);
    const value = (result.ok ? result.value : undefined) as AIGatewayRoute;
    expect(value.spec?.parentRefs?.[0]).toEqual({
      name: 'gw',
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
    });
    expect(value.spec?.rules[0]?.backendRefs?.[0]).toMatchObject({ weight: 1, priority: 0 });
    expect(value.spec?.rules[0]?.modelsOwnedBy).toBe('Envoy AI Gateway');
  });

  it('defaults MCP paths and credential-override fallbacks', () => {
    const mcp = validateResource({
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'MCPRoute',
      metadata: { name: 'm' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        backendRefs: [{ name: 'a', kind: 'Backend', group: 'gateway.envoyproxy.io' }],
      },
    });
    expect(mcp.ok && (mcp.value as MCPRoute).spec).toMatchObject({
      path: '/mcp',
      backendRefs: [{ path: '/mcp' }],
    });
    const bsp = validateResource({
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: 'p' },
      spec: {
        type: 'APIKey',
        apiKey: { secretRef: { name: 'k' } },
        credentialOverride: { fromRequestHeaders: {} },
      },
    });
    expect(bsp.ok && (bsp.value as BackendSecurityPolicy).spec?.credentialOverride).toEqual({
      fromRequestHeaders: { fallbackToConfigured: true },
    });
  });

  it('prunes nulls before validating, as the API server does for non-nullable fields', () => {
    const result = validateResource(route({ hostnames: null, rules: [{ backendRefs: null }] }));
    expect(result.ok).toBe(true);
  });

  it('does not mutate its input', () => {
    const input = route({ rules: [{ backendRefs: [{ name: 'b' }] }] });
    const copy = structuredClone(input);
    validateResource(input);
    expect(input).toEqual(copy);
  });

  it.each([
    [null, 'Object: expected a mapping'],
    [{ apiVersion: 'v1', kind: 'Service' }, 'no matches for kind "Service" in version "v1"'],
    [
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIGatewayRoute',
        metadata: { name: 'Bad_Name' },
      },
      'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain',
    ],
  ])('rejects %j', (input, message) => {
    const result = validateResource(input);
    expect(result.ok ? [] : result.errors.join('\n')).toContain(message);
  });

  it('accepts generateName instead of name', () => {
    const result = validateResource({
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIGatewayRoute',
      metadata: { generateName: 'r-' },
      spec: { rules: [] },
    });
    expect(result.ok).toBe(true);
  });
});

describe('API server reporting order', () => {
  it('reports only unknown fields, as strict decoding fails first', () => {
    const result = validateResource(route({ rules: [{ weight: 'x' }], extra: 1 }));
    expect(result.ok ? [] : [...result.errors].sort()).toEqual([
      'unknown field "spec.extra"',
      'unknown field "spec.rules[0].weight"',
    ]);
  });

  it('skips CEL rules after a blocking error and says so', () => {
    const result = validateResource(
      route({ rules: [{ name: 'route-not-found', modelsCreatedAt: 'yesterday' }] }),
    );
    expect(result.ok ? [] : result.errors).toEqual([
      'spec.rules[0].modelsCreatedAt: Invalid value: "yesterday": spec.rules[0].modelsCreatedAt in body must be of type date-time: "yesterday"',
      celSkipped,
    ]);
  });

  it('evaluates CEL rules next to non-blocking errors', () => {
    const result = validateResource(
      route({ rules: [{ name: 'route-not-found', backendRefs: [{ name: 'b', weight: -1 }] }] }),
    );
    expect(result.ok ? [] : result.errors).toEqual([
      'spec.rules[0].backendRefs[0].weight: Invalid value: -1: spec.rules[0].backendRefs[0].weight in body should be greater than or equal to 0',
      "spec.rules[0]: Invalid value: rule name 'route-not-found' is reserved",
    ]);
  });
});

describe('unknown fields with unknownFields: warn (the API server without strict validation)', () => {
  const backend = (spec: Record<string, unknown>): unknown => ({
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'AIServiceBackend',
    metadata: { name: 'b' },
    spec: {
      schema: { name: 'OpenAI' },
      backendRef: { name: 'be', kind: 'Backend', group: 'gateway.envoyproxy.io' },
      ...spec,
    },
  });

  it('drops them and names each, as kubectl prints the server warnings', () => {
    const result = validateResource(backend({ timeouts: { request: '3s' } }), {
      unknownFields: 'warn',
    });
    expect(result).toMatchObject({ ok: true, warnings: ['unknown field "spec.timeouts"'] });
    expect(result.ok ? Object.keys(result.value.spec as object).sort() : []).toEqual([
      'backendRef',
      'schema',
    ]);
  });

  it('names nested ones with their list index', () => {
    const result = validateResource(route({ rules: [{ backendRefs: [{ name: 'b', x: 1 }] }] }), {
      unknownFields: 'warn',
    });
    expect(result.warnings).toEqual(['unknown field "spec.rules[0].backendRefs[0].x"']);
  });

  it('keeps invalid values of known fields errors, with the warnings alongside', () => {
    const result = validateResource(
      route({ rules: [{ backendRefs: [{ name: 'b', weight: -1 }] }], extra: true }),
      { unknownFields: 'warn' },
    );
    expect(result).toMatchObject({
      ok: false,
      errors: [
        'spec.rules[0].backendRefs[0].weight: Invalid value: -1: spec.rules[0].backendRefs[0].weight in body should be greater than or equal to 0',
      ],
      warnings: ['unknown field "spec.extra"'],
    });
  });

  it('keeps the fields of preserve-unknown objects (Envoy Gateway types)', () => {
    const result = validateResource(
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'GatewayConfig',
        metadata: { name: 'g' },
        spec: { extProc: { kubernetes: { env: [], securityContext: {} } } },
      },
      { unknownFields: 'warn' },
    );
    expect(result.warnings).toEqual([]);
  });

  it('is off by default: unknown fields are errors', () => {
    expect(validateResource(backend({ timeouts: {} }))).toMatchObject({
      ok: false,
      errors: ['unknown field "spec.timeouts"'],
    });
  });
});

describe('date-time format (as lenient as the API server)', () => {
  it.each([
    ['2025-05-22T10:00:00Z', true],
    ['2025-05-22T10:00:00.123+02:00', true],
    ['2025-05-22T10:00', true],
    ['2025-05-22', false],
    ['May 22nd', false],
  ])('%s is accepted: %s', (modelsCreatedAt, ok) => {
    expect(validateResource(route({ rules: [{ modelsCreatedAt }] })).ok).toBe(ok);
  });
});

describe('per-kind schemas', () => {
  it('parse typed values', () => {
    const parsed = aiGatewayRouteSchema.parse(route({ rules: [] }));
    expect(parsed.kind).toBe('AIGatewayRoute');
  });
});
