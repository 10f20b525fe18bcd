/**
 * AIGatewayRoute: binds AIServiceBackends (or one InferencePool) to Gateways, with header
 * matches (`x-ai-eg-model`), weights, priorities, timeouts and token-cost capture.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/api/v1beta1/ai_gateway_route.go
 */
import type { KindDef, VersionDef } from '../crd.js';
import { arr, int, obj, str } from '../schema/dsl.js';
import {
  conditionsStatus,
  duration,
  gatewayParentRefs,
  groupPattern,
  headerMatches,
  hostname,
  httpBodyMutation,
  httpHeaderMutation,
  httpRouteTimeouts,
  llmRequestCost,
  namespacePattern,
  rateLimitFromHeader,
  sectionNamePattern,
} from './common.js';

const backendRef = obj(
  {
    name: str({ minLength: 1, description: 'AIServiceBackend name (or InferencePool name).' }),
    namespace: str({
      maxLength: 63,
      minLength: 1,
      pattern: namespacePattern,
      description: 'Namespace of the backend; another namespace needs a ReferenceGrant.',
    }),
    group: str({
      maxLength: 253,
      pattern: groupPattern,
      description: 'Set with kind to reference an InferencePool (inference.networking.k8s.io).',
    }),
    kind: str({ maxLength: 63, pattern: String.raw`^$|^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$` }),
    modelNameOverride: str({
      description: 'Model name sent to this backend instead of the requested one.',
    }),
    headerMutation: httpHeaderMutation,
    bodyMutation: httpBodyMutation,
    weight: int({ format: 'int32', minimum: 0, default: 1, description: 'Share of traffic.' }),
    priority: int({
      format: 'int32',
      minimum: 0,
      default: 0,
      description: 'Failover tier (Envoy endpoint priority); 0 is tried first.',
    }),
  },
  {
    typeName: 'AIGatewayRouteRuleBackendRef',
    required: ['name'],
    validations: [
      {
        rule: '!has(self.group) && !has(self.kind) || (has(self.group) && has(self.kind))',
        message: 'group and kind must be specified together',
      },
      {
        rule: "!has(self.group) || (self.group == 'inference.networking.k8s.io' && self.kind == 'InferencePool')",
        message: 'only InferencePool from inference.networking.k8s.io group is supported',
      },
    ],
  },
);

const ruleMatch = obj({ headers: headerMatches }, { typeName: 'AIGatewayRouteRuleMatch' });

const rule = obj(
  {
    name: str({
      maxLength: 253,
      minLength: 1,
      pattern: sectionNamePattern,
      description: 'Rule name, copied to the generated HTTPRoute rule.',
    }),
    backendRefs: arr(backendRef, {
      maxItems: 128,
      description: 'AIServiceBackends (or one InferencePool) that serve this rule.',
    }),
    matches: arr(ruleMatch, {
      maxItems: 128,
      description: 'Request matches; the x-ai-eg-model header carries the requested model.',
    }),
    timeouts: httpRouteTimeouts,
    streamIdleTimeout: withDescription(duration, 'Per-try idle timeout on the upstream stream.'),
    modelsOwnedBy: str({ default: 'Envoy AI Gateway', description: 'owned_by in /v1/models.' }),
    modelsCreatedAt: str({ format: 'date-time', description: 'created in /v1/models.' }),
  },
  {
    typeName: 'AIGatewayRouteRule',
    validations: [
      {
        rule: '!has(self.backendRefs) || size(self.backendRefs) == 0 || (self.backendRefs.all(ref, !has(ref.group) && !has(ref.kind)) || self.backendRefs.all(ref, has(ref.group) && has(ref.kind)))',
        message: 'cannot mix InferencePool and AIServiceBackend references in the same rule',
      },
      {
        rule: '!has(self.backendRefs) || size(self.backendRefs) == 0 || !self.backendRefs.exists(ref, has(ref.group) && has(ref.kind)) || size(self.backendRefs) == 1',
        message: 'only one InferencePool backend is allowed per rule',
      },
      {
        rule: "!has(self.name) || self.name != 'route-not-found'",
        message: "rule name 'route-not-found' is reserved",
      },
    ],
  },
);

function withDescription<T extends { description?: string }>(s: T, description: string): T {
  return { ...s, description };
}

/** AIGatewayRoute spec (identical in v1alpha1 and v1beta1). */
export const aiGatewayRouteSpec = obj(
  {
    parentRefs: gatewayParentRefs(),
    hostnames: arr(hostname, { maxItems: 16, description: 'Host names the route matches.' }),
    rules: arr(rule, {
      maxItems: 15,
      description: 'Routing rules; one HTTPRoute rule slot is kept for the catch-all.',
      validations: [
        {
          rule: 'self.all(l1, !has(l1.name) || self.exists_one(l2, has(l2.name) && l1.name == l2.name))',
          message: 'Rule name must be unique within the route',
        },
      ],
    }),
    llmRequestCosts: arr(llmRequestCost, {
      maxItems: 36,
      description: 'Costs captured per request into io.envoy.ai_gateway dynamic metadata.',
    }),
    rateLimitsFromHeaders: arr(rateLimitFromHeader, {
      maxItems: 36,
      listType: 'map',
      listMapKeys: ['metadataKey'],
    }),
  },
  { typeName: 'AIGatewayRouteSpec', required: ['rules'] },
);

const status = conditionsStatus('AIGatewayRouteStatus');

const version = (name: VersionDef['name']): VersionDef => ({
  name,
  storage: name === 'v1beta1',
  deprecated: name === 'v1alpha1',
  spec: aiGatewayRouteSpec,
  status,
});

/** The AIGatewayRoute kind. */
export const aiGatewayRouteKind: KindDef = {
  kind: 'AIGatewayRoute',
  plural: 'aigatewayroutes',
  singular: 'aigatewayroute',
  description: 'Routes AI API traffic from Gateways to AIServiceBackends.',
  versions: [version('v1alpha1'), version('v1beta1')],
};
