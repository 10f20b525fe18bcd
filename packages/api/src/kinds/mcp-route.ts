/**
 * MCPRoute: aggregates MCP servers behind one Streamable HTTP endpoint on a Gateway, with tool
 * filtering and per-backend API-key injection.
 *
 * Modelled: parentRefs, path, headers, hostnames, backendRefs (path, toolSelector,
 * securityPolicy.apiKey, forwardHeaders) and the route securityPolicy (oauth with JWKS and
 * protected-resource metadata, authorization rules). Kept as given without schema checks:
 * Envoy Gateway's apiKeyAuth, extAuth, remoteJWKS/localJWKS, `backendSelector`, and backend
 * security sources other than `apiKey`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/api/v1beta1/mcp_route.go
 */
import type { KindDef, VersionDef } from '../crd.js';
import type { ObjSchema, StrSchema } from '../schema/dsl.js';
import { arr, obj, str, strEnum } from '../schema/dsl.js';
import {
  backendObjectReference,
  conditionsStatus,
  gatewayParentRefs,
  headerMatches,
  hostname,
  secretObjectReference,
} from './common.js';

const mcpPath = str({
  default: '/mcp',
  maxLength: 1024,
  description: 'HTTP path of the MCP endpoint.',
});
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

/** A third-party (Envoy Gateway) object kept as given. */
const passThrough = (typeName: string, description: string): ObjSchema =>
  obj({}, { typeName, preserveUnknown: true, description });

const uri = (opts: { maxLength?: number } = {}): StrSchema => str({ format: 'uri', ...opts });

const jwks = obj(
  {
    remoteJWKS: passThrough('RemoteJWKS', 'Envoy Gateway RemoteJWKS (uri, backend settings).'),
    localJWKS: passThrough('LocalJWKS', 'Envoy Gateway LocalJWKS (inline or ConfigMap).'),
  },
  {
    typeName: 'JWKS',
    validations: [
      {
        rule: 'has(self.remoteJWKS) || has(self.localJWKS)',
        message: 'either remoteJWKS or localJWKS must be specified.',
      },
      {
        rule: '!(has(self.remoteJWKS) && has(self.localJWKS))',
        message: 'remoteJWKS and localJWKS cannot both be specified.',
      },
    ],
  },
);

const protectedResourceMetadata = obj(
  {
    resource: uri(),
    resourceName: str({ maxLength: 256 }),
    scopesSupported: arr(str(), { maxItems: 32 }),
    resourceSigningAlgValuesSupported: arr(str(), { minItems: 1, maxItems: 16 }),
    resourceDocumentation: uri(),
    resourcePolicyUri: uri(),
  },
  { typeName: 'ProtectedResourceMetadata', required: ['resource'] },
);

const oauth = obj(
  {
    issuer: uri(),
    audiences: arr(str(), { maxItems: 32 }),
    jwks,
    protectedResourceMetadata,
    claimToHeaders: arr(
      obj(
        { claim: str(), header: str() },
        { typeName: 'ClaimToHeader', required: ['claim', 'header'] },
      ),
      { maxItems: 16 },
    ),
  },
  { typeName: 'MCPRouteOAuth', required: ['issuer', 'protectedResourceMetadata'] },
);

const authorizationAction = (def: 'Allow' | 'Deny'): StrSchema =>
  strEnum(['Allow', 'Deny'], { default: def });

const jwtSource = obj(
  {
    scopes: arr(str(), { maxItems: 16 }),
    claims: arr(
      obj(
        {
          // Bounded so the API server's CEL cost estimate for the reserved-name rule stays small
          // (the rule runs inside authorization.rules, itself a list).
          name: str({ maxLength: 253 }),
          valueType: strEnum(['String', 'StringArray'], { default: 'String' }),
          values: arr(str()),
        },
        { typeName: 'JWTClaim', required: ['name', 'values'] },
      ),
      {
        maxItems: 16,
        validations: [
          {
            rule: "!self.exists(c, c.name == 'scope')",
            message: "'scope' claim name is reserved for OAuth scopes",
          },
        ],
      },
    ),
  },
  {
    typeName: 'JWTSource',
    validations: [
      {
        rule: '(has(self.scopes) && size(self.scopes) > 0) || (has(self.claims) && size(self.claims) > 0)',
        message: 'either scopes or claims must be specified',
      },
    ],
  },
);

const authorizationRule = obj(
  {
    source: obj({ jwt: jwtSource }, { typeName: 'MCPAuthorizationSource', required: ['jwt'] }),
    target: obj(
      {
        tools: arr(
          obj(
            { backend: str(), tool: str() },
            { typeName: 'ToolCall', required: ['backend', 'tool'] },
          ),
          { minItems: 1, maxItems: 16 },
        ),
      },
      { typeName: 'MCPAuthorizationTarget', required: ['tools'] },
    ),
    cel: str({ maxLength: 4096, description: 'CEL over request.* attributes; true matches.' }),
    action: authorizationAction('Allow'),
  },
  { typeName: 'MCPRouteAuthorizationRule' },
);

const routeSecurityPolicy = obj(
  {
    oauth,
    apiKeyAuth: passThrough('APIKeyAuth', 'Envoy Gateway API key authentication.'),
    extAuth: passThrough('ExtAuth', 'Envoy Gateway external authorization.'),
    authorization: obj(
      {
        defaultAction: authorizationAction('Deny'),
        rules: arr(authorizationRule, { maxItems: 32 }),
      },
      { typeName: 'MCPRouteAuthorization' },
    ),
  },
  {
    typeName: 'MCPRouteSecurityPolicy',
    description: 'How clients authenticate and which tools they may call.',
    validations: [
      {
        rule: '!(has(self.authorization) && self.authorization.rules.exists(r, has(r.source) && has(r.source.jwt)) && !has(self.oauth))',
        message: 'oauth must be configured when any authorization rule uses a jwt source',
      },
    ],
  },
);

/** MCPRoute spec (identical in v1alpha1 and v1beta1). */
export const mcpRouteSpec = obj(
  {
    parentRefs: gatewayParentRefs({ minItems: 1 }),
    path: mcpPath,
    headers: { ...headerMatches, description: 'Headers a request must carry to use this route.' },
    hostnames: arr(hostname, { maxItems: 16, description: 'Host names the route matches.' }),
    backendRefs: arr(backendRef, {
      minItems: 1,
      maxItems: 256,
      description: 'MCP servers aggregated behind the route (same namespace).',
      validations: [
        {
          rule: 'self.all(i, self.exists_one(j, j.name == i.name))',
          message: 'all backendRefs names must be unique',
        },
      ],
    }),
    securityPolicy: routeSecurityPolicy,
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
