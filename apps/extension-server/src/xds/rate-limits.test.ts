import { readFileSync } from 'node:fs';
import { envoyConfig } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { rateLimitsFromFiles, toRouteRateLimits } from './rate-limits.js';

// The same resources `@aigw/gateway-config`'s own rate-limit tests use.
const basic = readFileSync(
  new URL('../../../../packages/gateway-config/src/testdata/basic.yaml', import.meta.url),
  'utf8',
);

const reservingPolicy = `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: tokens
  annotations: {aigateway.envoyproxy.io/token-reservation: "true"}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-user-id, type: Distinct}]}]
          limit: {requests: 1000, unit: Hour}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}
`;

describe('token budgets that reserve, in Kubernetes (docs/budgets.md)', () => {
  const limits = rateLimitsFromFiles(
    [{ path: 'in.yaml', text: `${basic}\n---\n${reservingPolicy}` }],
    {
      service: { host: 'ratelimit', port: 8081 },
      udsPath: '/tmp/x.sock',
    },
  );
  const entries = toRouteRateLimits(limits.get('default/chat/rule/0') ?? []);

  it('checks, reserves the estimate and reconciles at stream end, as aigw run', () => {
    expect(
      entries.map((e) => [e.applyOnStreamDone, e.hitsAddend?.number, e.hitsAddend?.format]),
    ).toEqual([
      [false, 0n, ''],
      [false, undefined, '%DYNAMIC_METADATA(io.envoy.ai_gateway:reserved_tokens)%'],
      [true, undefined, '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%'],
    ]);
  });

  it('marks the reservation and reads what was reserved from the rate-limit filter metadata', () => {
    expect(entries[1]?.actions.at(-1)?.actionSpecifier).toMatchObject({
      $case: 'genericKey',
      value: { descriptorKey: 'aigw_reserve', descriptorValue: '1' },
    });
    const reserved = entries[2]?.actions.at(-1);
    expect(reserved?.actionSpecifier).toMatchObject({
      $case: 'metadata',
      value: {
        descriptorKey: 'aigw_reserved',
        metadataKey: {
          key: 'envoy.filters.http.ratelimit',
          path: [{ segment: { $case: 'key', value: 'aigw_reserved' } }],
        },
        defaultValue: '0',
        source: 0,
      },
    });
    // It encodes (Envoy reads it from xDS).
    const bytes = envoyConfig.RateLimit.encode(entries[2]!).finish();
    expect(envoyConfig.RateLimit.decode(bytes).actions).toHaveLength(3);
  });
});
