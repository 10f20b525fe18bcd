/**
 * The Envoy rate-limit actions of a limit's header selectors (Gateway API / Envoy Gateway
 * `clientSelectors.headers`), for `rate-limit.ts`.
 */
import { celMetadataValue, celNoMatch, celString } from './envoy/cel.js';
import { gatewayMetadataKeys, metadataNamespace, tenantHeader, typeUrl } from './envoy/names.js';
import type { RateLimitAction } from './envoy/types.js';
import { modelHeader } from './plan.js';

/** A header condition of a limit (Gateway API / Envoy Gateway header selector). */
export interface Selector {
  readonly name: string;
  readonly type: 'Exact' | 'RegularExpression' | 'Distinct';
  readonly value: string | undefined;
  readonly invert: boolean;
}

/** The descriptor key of a limit's `j`-th selector (its level in the limiter's tree). */
export const selectorKey = (j: number): string => `match-${String(j)}`;

/**
 * The action of one selector. A selector on a header the gateway itself sets (the model, the
 * tenant) reads the extproc's copy in dynamic metadata instead: the upstream filter removes those
 * headers so they never reach a provider, and Envoy's rate-limit filter builds its stream-done
 * descriptors from the request headers as they are when the stream ends (docs/budgets.md).
 */
export function selectorAction(s: Selector, key: string): RateLimitAction {
  const metadataKey = internalHeaderMetadata.get(s.name.toLowerCase());
  if (metadataKey !== undefined) return metadataSelectorAction(s, key, metadataKey);
  if (s.type === 'Distinct') {
    return { request_headers: { header_name: s.name, descriptor_key: key } };
  }
  const stringMatch =
    s.type === 'Exact' ? { exact: s.value ?? '' } : { safe_regex: { regex: s.value ?? '' } };
  return {
    header_value_match: {
      descriptor_key: key,
      descriptor_value: key,
      expect_match: !s.invert,
      headers: [{ name: s.name, string_match: stringMatch }],
    },
  };
}

/** Headers the extproc sets and removes upstream → the dynamic metadata key it copies them to. */
const internalHeaderMetadata: ReadonlyMap<string, string> = new Map([
  [modelHeader, gatewayMetadataKeys.requestModel],
  [tenantHeader, gatewayMetadataKeys.tenant],
]);

/**
 * A selector over the extproc's dynamic metadata: `Distinct` is Envoy's `metadata` action (no
 * descriptor when absent, as `request_headers`); `Exact` and `RegularExpression` are a CEL
 * descriptor (`envoy.rate_limit_descriptors.expr`) with `header_value_match`'s semantics: the
 * entry `<key>=<key>` when the value matches (or, inverted, when it does not or is absent), no
 * descriptor otherwise. Regular expressions match the whole value, as Envoy's `safe_regex`.
 */
function metadataSelectorAction(s: Selector, key: string, metadataKey: string): RateLimitAction {
  if (s.type === 'Distinct') {
    return {
      metadata: {
        descriptor_key: key,
        metadata_key: { key: metadataNamespace, path: [{ key: metadataKey }] },
        source: 'DYNAMIC',
      },
    };
  }
  const { present, value } = celMetadataValue(metadataNamespace, metadataKey);
  const test =
    s.type === 'Exact'
      ? `${value} == ${celString(s.value ?? '')}`
      : `${value}.matches(${celString(`^(?:${s.value ?? ''})$`)})`;
  const matched = `(${present} && ${test})`;
  return {
    extension: {
      name: 'envoy.rate_limit_descriptors.expr',
      typed_config: {
        '@type': typeUrl('envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor'),
        descriptor_key: key,
        text: `${s.invert ? `!${matched}` : matched} ? ${celString(key)} : ${celNoMatch}`,
      },
    },
  };
}
