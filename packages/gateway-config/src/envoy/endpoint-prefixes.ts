/**
 * Where the gateway serves its endpoints: upstream's rootPrefix and per-family endpoint prefixes
 * (Helm `endpointConfig`, extproc `-rootPrefix` / `-endpointPrefixes`). The generated Envoy
 * routes match the root prefix, the local replies judge the client's dialect by these paths, and
 * `aigw run` hands the same values to its extproc. Parsing and joining are `@aigw/translator`'s,
 * the very code the extproc runs, so the two cannot disagree on a layout.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/internalapi/internalapi.go
 */
import {
  defaultEndpointPrefixes,
  defaultRootPrefix,
  joinPath,
  type EndpointLayout,
  type EndpointPrefixes,
} from '@aigw/translator';

export {
  EndpointPrefixError,
  isEndpointPrefixError,
  joinPath,
  parseEndpointPrefixes,
  parseRootPrefix,
  type EndpointLayout,
  type EndpointPrefixErrorCode,
  type EndpointPrefixes,
} from '@aigw/translator';

/** Upstream's defaults: root `/`; openai `/`, cohere `/cohere`, anthropic `/anthropic`. */
export const defaultEndpointLayout: EndpointLayout = Object.freeze({
  rootPrefix: defaultRootPrefix,
  prefixes: defaultEndpointPrefixes,
});

const prefixKeys = ['openai', 'cohere', 'anthropic'] as const;

/** The `--endpoint-prefixes` text of `prefixes` (every key spelled out). */
export function formatEndpointPrefixes(prefixes: EndpointPrefixes): string {
  return prefixKeys.map((key) => `${key}:${prefixes[key]}`).join(',');
}

/**
 * The Envoy route match of the root prefix, with Gateway API `PathPrefix` semantics: `/ai`
 * matches `/ai` and `/ai/…` but not `/aix` (Envoy's plain `prefix` would).
 */
export function rootPathMatch(
  rootPrefix: string,
): { prefix: string } | { path_separated_prefix: string } {
  const root = joinPath(rootPrefix) || '/';
  return root === '/' ? { prefix: '/' } : { path_separated_prefix: root };
}

/**
 * An RE2 pattern, for the whole `:path` (query included), that is true exactly when the extproc
 * answers in Google's Gemini dialect (`EndpointMatcher.dialectFor`): any
 * `…/v1beta|v1|v1alpha/models/{model}:{method}` path, served or not.
 */
export const geminiPathPattern = '^[^?]*/v1(?:beta|alpha)?/models/[^/?]+:[A-Za-z]+(?:[?]|$)';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * An RE2 pattern, for the whole `:path` (query included), that is true exactly when the extproc
 * answers in Anthropic's dialect (`EndpointMatcher.dialectFor` in `@aigw/translator`): at or under
 * the anthropic prefix when it differs from the openai one, and for any `…/v1/messages` path or
 * its sub-paths.
 */
export function anthropicPathPattern(layout: EndpointLayout = defaultEndpointLayout): string {
  const root = joinPath(layout.rootPrefix) || '/';
  const anthropic = joinPath(root, layout.prefixes.anthropic);
  const alternatives = ['[^?]*/v1/messages(?:[/?]|$)'];
  if (anthropic !== joinPath(root, layout.prefixes.openai) && anthropic !== '/') {
    alternatives.unshift(`${escapeRegex(anthropic)}(?:[/?]|$)`);
  }
  return `^(?:${alternatives.join('|')})`;
}

/**
 * An RE2 pattern, for the whole `:path` (query included), that is true exactly when the extproc
 * answers in Cohere's dialect (`EndpointMatcher.dialectFor`): at or under the cohere prefix
 * (`/cohere/v2/rerank` by default). `undefined` when the cohere prefix is the openai one or the
 * root `/`: Cohere clients cannot be told apart by path then, and get OpenAI's dialect.
 */
export function coherePathPattern(
  layout: EndpointLayout = defaultEndpointLayout,
): string | undefined {
  const root = joinPath(layout.rootPrefix) || '/';
  const cohere = joinPath(root, layout.prefixes.cohere);
  if (cohere === joinPath(root, layout.prefixes.openai) || cohere === '/') return undefined;
  return `^${escapeRegex(cohere)}(?:[/?]|$)`;
}
