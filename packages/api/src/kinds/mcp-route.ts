/**
 * MCPRoute: aggregates MCP servers behind one Streamable HTTP endpoint on a Gateway, with tool
 * filtering and per-backend API-key injection.
 *
 * Modelled: parentRefs, path, headers, hostnames and backendRefs (path, toolSelector,
 * securityPolicy.apiKey, forwardHeaders). The route-level `securityPolicy` (OAuth, JWKS,
 * authorization rules, extAuth) and `backendSelector` are kept as given without schema checks,
 * as are backend security sources other than `apiKey`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/api/v1beta1/mcp_route.go
 */
import type { KindDef, VersionDef } from '../crd.js';
import { arr, obj, str } from '../schema/dsl.js';
import {
  backendObjectReference,
  conditionsStatus,
  gatewayParentRefs,
  headerMatches,
  hostname,
  secretObjectReference,
} from './common.js';

const mcpPath = str({ default: '/mcp', maxLength: 1024 });
const patterns = arr(str(), { maxItems: 32 });

const toolSelector = obj(
  { include: patterns, includeRegex: patterns, exclude: patterns, excludeRegex: patterns },
  {
    typeName: 'MCPToolFilter',
    validations: [
      {
        rule: '!(has(self.include) && has(self.includeRegex))',
        message: 'include and includeRegex are mutually exclusive',
      },
      {
        rule: '!(has(self.exclude) && has(self.excludeRegex))',
        message: 'exclude and excludeRegex are mutually exclusive',
      },
      {
        rule: 'has(self.include) || has(self.includeRegex) || has(self.exclude) || has(self.excludeRegex)',
        message:
          'at least one of include, includeRegex, exclude, or excludeRegex must be specified',
      },
    ],
  },
);

const apiKey = obj(
  {
    secretRef: { ...secretObjectReference, description: 'Secret with key "apiKey".' },
    inline: str(),
    header: str({ minLength: 1, description: 'Defaults to Authorization (with "Bearer ").' }),
    queryParam: str({ minLength: 1 }),
  },
  {
    typeName: 'MCPBackendAPIKey',
    validations: [
      {
        rule: '(has(self.secretRef) && !has(self.inline)) || (!has(self.secretRef) && has(self.inline))',
        message: 'exactly one of secretRef or inline must be set',
      },
      {
        rule: '!(has(self.header) && has(self.queryParam))',
        message: 'only one of header or queryParam can be set',
      },
    ],
  },
);

const backendRef = obj(
  {
    ...backendObjectReference.properties,
    path: mcpPath,
    toolSelector,
    securityPolicy: obj(
      { apiKey },
      { typeName: 'MCPBackendSecurityPolicy', preserveUnknown: true },
    ),
    forwardHeaders: arr(
      obj(
        { name: str({ minLength: 1 }), backendHeader: str({ minLength: 1 }) },
        { typeName: 'MCPHeaderForward', required: ['name'] },
      ),
      { maxItems: 32 },
    ),
  },
  {
    typeName: 'MCPRouteBackendRef',
    required: ['name'],
    validations: backendObjectReference.validations ?? [],
  },
);

/** MCPRoute spec (identical in v1alpha1 and v1beta1). */
export const mcpRouteSpec = obj(
  {
    parentRefs: gatewayParentRefs({ minItems: 1 }),
    path: mcpPath,
    headers: headerMatches,
    hostnames: arr(hostname, { maxItems: 16 }),
    backendRefs: arr(backendRef, {
      minItems: 1,
      maxItems: 256,
      validations: [
        {
          rule: 'self.all(i, self.exists_one(j, j.name == i.name))',
          message: 'all backendRefs names must be unique',
        },
      ],
    }),
    securityPolicy: obj(
      {},
      {
        typeName: 'MCPRouteSecurityPolicy',
        preserveUnknown: true,
        description: 'OAuth, API key or external authorization for clients (not checked offline).',
      },
    ),
    backendSelector: obj(
      {},
      {
        typeName: 'MCPRouteBackendSelector',
        preserveUnknown: true,
        description: 'CEL rules choosing backends per session (not checked offline).',
      },
    ),
  },
  { typeName: 'MCPRouteSpec', required: ['backendRefs', 'parentRefs'] },
);

const status = conditionsStatus('MCPRouteStatus');

const version = (name: VersionDef['name']): VersionDef => ({
  name,
  storage: name === 'v1beta1',
  deprecated: name === 'v1alpha1',
  spec: mcpRouteSpec,
  status,
});

/** The MCPRoute kind. */
export const mcpRouteKind: KindDef = {
  kind: 'MCPRoute',
  plural: 'mcproutes',
  singular: 'mcproute',
  description: 'Routes MCP traffic from Gateways to MCP servers.',
  versions: [version('v1alpha1'), version('v1beta1')],
};
