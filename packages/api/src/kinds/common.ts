/**
 * Building blocks shared by several kinds: the Gateway API and metav1 types upstream embeds
 * (ParentReference, HTTPHeaderMatch, SecretObjectReference, Condition, ...) and the AI Gateway's
 * own shared types (mutations, LLMRequestCost). Constraints follow Gateway API v1 and
 * apimachinery so the generated CRDs accept and reject what upstream's do.
 */
import { arr, bool, int, obj, str, strEnum } from '../schema/dsl.js';
import type { ObjSchema, Schema, StrSchema } from '../schema/dsl.js';

/** DNS-1123 subdomain or empty (Gateway API `Group`). */
export const groupPattern = String.raw`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
/** Gateway API `Kind`. */
export const kindPattern = String.raw`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`;
/** DNS-1123 label (Gateway API `Namespace`). */
export const namespacePattern = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`;
/** DNS-1123 subdomain (Gateway API `SectionName`). */
export const sectionNamePattern = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
/** Gateway API `Hostname` (optionally a leading wildcard label). */
export const hostnamePattern = String.raw`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
/** RFC 7230 token (Gateway API `HTTPHeaderName`). */
export const headerNamePattern = String.raw`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`;
/** Gateway API `Duration` (a subset of Go durations). */
export const durationPattern = String.raw`^([0-9]{1,5}(h|m|s|ms)){1,4}$`;

const group = (def: string | undefined): StrSchema =>
  str({ maxLength: 253, pattern: groupPattern, ...(def === undefined ? {} : { default: def }) });
const kind = (def: string | undefined): StrSchema =>
  str({
    maxLength: 63,
    minLength: 1,
    pattern: kindPattern,
    ...(def === undefined ? {} : { default: def }),
  });
const objectName = (): StrSchema => str({ maxLength: 253, minLength: 1 });
const namespace = (): StrSchema => str({ maxLength: 63, minLength: 1, pattern: namespacePattern });
const port = (): Schema => int({ format: 'int32', minimum: 1, maximum: 65535 });

/** Gateway API `ParentReference` (defaults to a Gateway). */
export const parentReference: ObjSchema = obj(
  {
    group: group('gateway.networking.k8s.io'),
    kind: kind('Gateway'),
    name: objectName(),
    namespace: namespace(),
    port: port(),
    sectionName: str({ maxLength: 253, minLength: 1, pattern: sectionNamePattern }),
  },
  { typeName: 'ParentReference', required: ['name'] },
);

/** Up to 16 parent references, all of kind Gateway. */
export const gatewayParentRefs = (opts: { minItems?: number } = {}): Schema =>
  arr(parentReference, {
    maxItems: 16,
    ...opts,
    description: 'Gateways this route attaches to.',
    validations: [
      { rule: "self.all(match, match.kind == 'Gateway')", message: 'only Gateway is supported' },
    ],
  });

/** Gateway API `Hostname`. */
export const hostname = str({ maxLength: 253, minLength: 1, pattern: hostnamePattern });

/** Gateway API `HTTPHeaderName`. */
export const headerName = str({ maxLength: 256, minLength: 1, pattern: headerNamePattern });

/** Gateway API `HTTPHeaderMatch`. */
export const httpHeaderMatch: ObjSchema = obj(
  {
    name: headerName,
    type: strEnum(['Exact', 'RegularExpression'], { default: 'Exact' }),
    value: str({ maxLength: 4096, minLength: 1 }),
  },
  { typeName: 'HTTPHeaderMatch', required: ['name', 'value'] },
);

/** A list of header matches keyed by name. */
export const headerMatches = arr(httpHeaderMatch, {
  maxItems: 16,
  listType: 'map',
  listMapKeys: ['name'],
});

/** Gateway API `Duration`. */
export const duration = str({ pattern: durationPattern });

/** Gateway API `HTTPRouteTimeouts` with its cross-field rule. */
export const httpRouteTimeouts: ObjSchema = obj(
  { backendRequest: duration, request: duration },
  {
    typeName: 'HTTPRouteTimeouts',
    validations: [
      {
        rule: "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && duration(self.backendRequest) > duration(self.request))",
        message: 'backendRequest timeout cannot be longer than request timeout',
      },
    ],
  },
);

/** Gateway API `SecretObjectReference` (defaults to a core Secret). */
export const secretObjectReference: ObjSchema = obj(
  { group: group(''), kind: kind('Secret'), name: objectName(), namespace: namespace() },
  { typeName: 'SecretObjectReference', required: ['name'] },
);

/** Gateway API `BackendObjectReference` (defaults to a core Service; a Service needs a port). */
export const backendObjectReference: ObjSchema = obj(
  {
    group: group(''),
    kind: kind('Service'),
    name: objectName(),
    namespace: namespace(),
    port: port(),
  },
  {
    typeName: 'BackendObjectReference',
    required: ['name'],
    validations: [
      {
        rule: "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true",
        message: 'Must have port for Service reference',
      },
    ],
  },
);

/** Gateway API `LocalPolicyTargetReference` (group, kind and name all required). */
export const localPolicyTargetReference: ObjSchema = obj(
  { group: group(undefined), kind: kind(undefined), name: objectName() },
  { typeName: 'LocalPolicyTargetReference', required: ['group', 'kind', 'name'] },
);

/** apimachinery `metav1.Condition`. */
export const condition: ObjSchema = obj(
  {
    lastTransitionTime: str({ format: 'date-time' }),
    message: str({ maxLength: 32768 }),
    observedGeneration: int({ format: 'int64', minimum: 0 }),
    reason: str({
      maxLength: 1024,
      minLength: 1,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    status: strEnum(['True', 'False', 'Unknown']),
    type: str({
      maxLength: 316,
      pattern: String.raw`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$`,
    }),
  },
  {
    typeName: 'Condition',
    required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'],
  },
);

/** The status every kind shares: conditions (at most one is set; Accepted or NotAccepted). */
export const conditionsStatus = (typeName: string): ObjSchema =>
  obj(
    {
      conditions: arr(condition, {
        description: 'Reconciliation result; the last one is current.',
      }),
    },
    { typeName },
  );

/** Gateway API `HTTPHeader` (name and value). */
export const httpHeader: ObjSchema = obj(
  { name: headerName, value: str({ maxLength: 4096, minLength: 1 }) },
  { typeName: 'HTTPHeader', required: ['name', 'value'] },
);

const removeList = arr(str(), { maxItems: 16, listType: 'set' });

/** Header mutation applied before the request goes to the backend. */
export const httpHeaderMutation: ObjSchema = obj(
  {
    set: arr(httpHeader, { maxItems: 16, listType: 'map', listMapKeys: ['name'] }),
    remove: removeList,
  },
  { typeName: 'HTTPHeaderMutation', description: 'Headers to set or remove.' },
);

/** One top-level JSON body field to set; `value` is a JSON literal. */
export const httpBodyField: ObjSchema = obj(
  { path: str({ minLength: 1 }), value: str() },
  { typeName: 'HTTPBodyField', required: ['path', 'value'] },
);

/** Body mutation of top-level JSON fields. */
export const httpBodyMutation: ObjSchema = obj(
  {
    set: arr(httpBodyField, { maxItems: 16, listType: 'map', listMapKeys: ['path'] }),
    remove: removeList,
  },
  { typeName: 'HTTPBodyMutation', description: 'Top-level JSON body fields to set or remove.' },
);

/** Values of `LLMRequestCost.type`. */
export const llmRequestCostTypes = [
  'OutputToken',
  'InputToken',
  'CachedInputToken',
  'CacheCreationInputToken',
  'TotalToken',
  'ReasoningToken',
  'CEL',
] as const;

/** How one request cost is computed and under which metadata key it is stored. */
export const llmRequestCost: ObjSchema = obj(
  {
    metadataKey: str({ description: 'Key under io.envoy.ai_gateway dynamic metadata.' }),
    type: strEnum(llmRequestCostTypes),
    cel: str({ description: 'CEL expression returning a non-negative integer (type CEL).' }),
  },
  { typeName: 'LLMRequestCost', required: ['metadataKey', 'type'] },
);

/** A rate limit read per request from a trusted header ("<count>/<unit>"). */
export const rateLimitFromHeader: ObjSchema = obj(
  { metadataKey: str(), header: str() },
  { typeName: 'RateLimitFromHeader', required: ['metadataKey', 'header'] },
);

/** Values of the API schema name (backend and route schema). */
export const apiSchemaNames = [
  'OpenAI',
  'Cohere',
  'AWSBedrock',
  'AzureOpenAI',
  'GCPVertexAI',
  'GCPAnthropic',
  'Anthropic',
  'AWSAnthropic',
] as const;

/** An API schema with an optional version and path prefix. */
export const versionedApiSchema: ObjSchema = obj(
  {
    name: strEnum(apiSchemaNames),
    version: str({ description: 'Provider API version (Azure api-version, anthropic_version).' }),
    prefix: str({ description: 'Path prefix for OpenAI- or Anthropic-compatible backends.' }),
  },
  { typeName: 'VersionedAPISchema', required: ['name'] },
);

/**
 * Envoy Gateway's `OIDC` (as used to obtain tokens for credential exchange). The main fields are
 * modelled; the rest of Envoy Gateway's type is kept as given (preserve-unknown-fields).
 */
export const envoyGatewayOidc: ObjSchema = obj(
  {
    provider: obj(
      {
        issuer: str({ minLength: 1 }),
        authorizationEndpoint: str(),
        tokenEndpoint: str(),
      },
      { typeName: 'OIDCProvider', required: ['issuer'], preserveUnknown: true },
    ),
    clientID: str({ minLength: 1 }),
    clientSecret: secretObjectReference,
    scopes: arr(str()),
    resources: arr(str()),
  },
  {
    typeName: 'OIDC',
    required: ['provider', 'clientSecret'],
    preserveUnknown: true,
  },
);

/** A boolean that defaults to true. */
export const boolDefaultTrue = bool({ default: true });
