/**
 * QuotaPolicy (v1alpha1 only): token quotas per AIServiceBackend and per model, with client
 * selectors borrowed from Envoy Gateway's rate limiting. Over quota answers 429.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/api/v1alpha1/quota_policy.go
 */
import type { KindDef } from '../crd.js';
import { arr, bool, int, obj, str, strEnum } from '../schema/dsl.js';
import { conditionsStatus, localPolicyTargetReference } from './common.js';

const quotaValue = obj(
  {
    limit: int({ description: 'Cost units allowed per window.' }),
    duration: str({ description: 'Window length with a unit suffix: s, m, h.' }),
  },
  { typeName: 'QuotaValue', required: ['duration', 'limit'] },
);

const invert = bool({ default: false });

/** Envoy Gateway's `RateLimitSelectCondition`. */
const selectCondition = obj(
  {
    headers: arr(
      obj(
        {
          invert,
          name: str({ maxLength: 256, minLength: 1 }),
          type: strEnum(['Exact', 'RegularExpression', 'Distinct'], { default: 'Exact' }),
          value: str({ maxLength: 1024 }),
        },
        { typeName: 'HeaderMatch', required: ['name'] },
      ),
      { maxItems: 16 },
    ),
    methods: arr(
      obj(
        {
          invert,
          value: strEnum([
            'GET',
            'HEAD',
            'POST',
            'PUT',
            'DELETE',
            'CONNECT',
            'OPTIONS',
            'TRACE',
            'PATCH',
          ]),
        },
        { typeName: 'MethodMatch', required: ['value'] },
      ),
    ),
    path: obj(
      {
        invert,
        type: strEnum(['Exact', 'PathPrefix', 'RegularExpression'], { default: 'PathPrefix' }),
        value: str({ maxLength: 1024, default: '/' }),
      },
      { typeName: 'PathMatch', required: ['value'] },
    ),
    sourceCIDR: obj(
      {
        type: strEnum(['Exact', 'Distinct'], { default: 'Exact' }),
        value: str({ maxLength: 256, minLength: 1 }),
      },
      { typeName: 'SourceMatch', required: ['value'] },
    ),
  },
  {
    typeName: 'RateLimitSelectCondition',
    validations: [
      {
        rule: 'has(self.headers) || has(self.methods) || has(self.path) || has(self.sourceCIDR)',
        message: 'at least one of headers, methods, path or sourceCIDR must be specified',
      },
    ],
  },
);

const quotaRule = obj(
  {
    clientSelectors: arr(selectCondition, { maxItems: 8 }),
    quota: quotaValue,
    shadowMode: bool({ description: 'Count but never enforce.' }),
  },
  { typeName: 'QuotaRule', required: ['quota'] },
);

const costExpression = str({ description: 'CEL cost of a request; total_tokens when unset.' });

const quotaDefinition = obj(
  {
    costExpression,
    mode: strEnum(['Exclusive', 'Shared']),
    defaultBucket: quotaValue,
    bucketRules: arr(quotaRule),
  },
  { typeName: 'QuotaDefinition', required: ['mode'] },
);

/** QuotaPolicy spec. */
export const quotaPolicySpec = obj(
  {
    targetRefs: arr(localPolicyTargetReference, {
      maxItems: 16,
      validations: [
        {
          rule: "self.all(ref, ref.group == 'aigateway.envoyproxy.io' && ref.kind == 'AIServiceBackend')",
          message: 'targetRefs must reference AIServiceBackend resources',
        },
      ],
    }),
    serviceQuota: obj(
      { costExpression, quota: quotaValue },
      {
        typeName: 'ServiceQuotaDefinition',
        required: ['quota'],
        description: 'Quota shared by all models of the targeted backends.',
      },
    ),
    perModelQuotas: arr(
      obj(
        { modelName: str({ minLength: 1 }), quota: quotaDefinition },
        { typeName: 'PerModelQuota', required: ['modelName', 'quota'] },
      ),
      { maxItems: 128, description: 'Quotas per model name (as sent to the backend).' },
    ),
  },
  { typeName: 'QuotaPolicySpec' },
);

/** The QuotaPolicy kind (v1alpha1 only, which is therefore its storage version). */
export const quotaPolicyKind: KindDef = {
  kind: 'QuotaPolicy',
  plural: 'quotapolicies',
  singular: 'quotapolicy',
  description: 'Token quotas for AIServiceBackends, per service and per model.',
  labels: { 'gateway.networking.k8s.io/policy': 'direct' },
  versions: [
    {
      name: 'v1alpha1',
      storage: true,
      deprecated: false,
      spec: quotaPolicySpec,
      status: conditionsStatus('QuotaPolicyStatus'),
    },
  ],
};
