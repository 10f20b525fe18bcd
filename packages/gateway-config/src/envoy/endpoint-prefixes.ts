/**
 * Where the gateway serves its endpoints: upstream's rootPrefix and per-family endpoint prefixes
 * (Helm `endpointConfig`, extproc `-rootPrefix` / `-endpointPrefixes`). The generated Envoy
 * routes match the root prefix, the local replies judge the client's dialect by these paths, and
 * `aigw run` hands the same values to its extproc.
 *
 * The extproc parses the same flags with `@aigw/translator`'s `parseEndpointPrefixes`; this
 * package may not depend on the translator, so the small parser is repeated here with the same
 * rules and messages (both are tested against the same cases).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/internalapi/internalapi.go
 */

/** Path prefixes of the API families (upstream's `internalapi.EndpointPrefixes`). */
export interface EndpointPrefixes {
  readonly openai: string;
  readonly cohere: string;
  readonly anthropic: string;
}

/** The root prefix and the per-family prefixes below it. */
export interface EndpointLayout {
  readonly rootPrefix: string;
  readonly prefixes: EndpointPrefixes;
}

/** Upstream's defaults: root `/`; openai `/`, cohere `/cohere`, anthropic `/anthropic`. */
export const defaultEndpointLayout: EndpointLayout = Object.freeze({
  rootPrefix: '/',
  prefixes: Object.freeze({ openai: '/', cohere: '/cohere', anthropic: '/anthropic' }),
});

/** Codes of {@link EndpointPrefixError}. */
export type EndpointPrefixErrorCode = 'invalid_endpoint_prefixes' | 'invalid_root_prefix';

/** A root prefix or an endpoint-prefixes list that cannot be used; the message is one line. */
export class EndpointPrefixError extends Error {
  override readonly name = 'EndpointPrefixError';
  readonly code: EndpointPrefixErrorCode;

  constructor(code: EndpointPrefixErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Structural guard for {@link EndpointPrefixError}. */
export function isEndpointPrefixError(err: unknown): err is EndpointPrefixError {
  return err instanceof Error && err.name === 'EndpointPrefixError';
}

const prefixKeys = ['openai', 'cohere', 'anthropic'] as const;
type PrefixKey = (typeof prefixKeys)[number];

const badPathCharacter = /[?#\s\p{Cc}]/u;

/**
 * Parses `openai:/,cohere:/cohere,anthropic:/anthropic` (upstream's format); keys not given keep
 * their defaults, `''` gives the defaults.
 *
 * @throws EndpointPrefixError `invalid_endpoint_prefixes`.
 */
export function parseEndpointPrefixes(text: string): EndpointPrefixes {
  const out: Record<PrefixKey, string> = { ...defaultEndpointLayout.prefixes };
  if (text === '') return out;
  for (const [index, raw] of text.split(',').entries()) {
    const [key, value] = parsePair(raw.trim(), `at position ${String(index + 1)}`);
    out[key] = value;
  }
  return out;
}

function parsePair(pair: string, position: string): [PrefixKey, string] {
  const fail = (message: string): EndpointPrefixError =>
    new EndpointPrefixError('invalid_endpoint_prefixes', message);
  if (pair === '') {
    throw fail(`empty pair ${position} (expected key:value, e.g. anthropic:/claude)`);
  }
  const colon = pair.indexOf(':');
  if (colon === -1) {
    throw fail(`invalid pair ${position}: ${JSON.stringify(pair)} (expected key:value)`);
  }
  const key = pair.slice(0, colon).trim();
  const value = pair.slice(colon + 1).trim();
  const known = prefixKeys.find((k) => k === key);
  if (known === undefined) {
    throw fail(
      `unknown key ${JSON.stringify(key)} ${position} (allowed: ${prefixKeys.join(', ')})`,
    );
  }
  if (badPathCharacter.test(value)) {
    throw fail(
      `invalid ${known} prefix ${JSON.stringify(value)} ${position}: ` +
        'a path prefix may not contain "?", "#", spaces or control characters',
    );
  }
  return [known, value];
}

/**
 * Validates and normalises a root prefix: a path starting with `/`; `/ai/` gives `/ai`.
 *
 * @throws EndpointPrefixError `invalid_root_prefix`.
 */
export function parseRootPrefix(text: string): string {
  const value = text.trim();
  if (!value.startsWith('/') || badPathCharacter.test(value)) {
    throw new EndpointPrefixError(
      'invalid_root_prefix',
      `invalid root prefix ${JSON.stringify(text)}: expected a path starting with "/" ` +
        'without "?", "#", spaces or control characters, e.g. /ai',
    );
  }
  return joinPath(value);
}

/** The `--endpoint-prefixes` text of `prefixes` (every key spelled out). */
export function formatEndpointPrefixes(prefixes: EndpointPrefixes): string {
  return prefixKeys.map((key) => `${key}:${prefixes[key]}`).join(',');
}

/** Joins path elements as Go's `path.Join` does (empty elements ignored, result cleaned). */
export function joinPath(...elements: readonly string[]): string {
  const joined = elements.filter((e) => e !== '').join('/');
  if (joined === '') return '';
  const isRooted = joined.startsWith('/');
  const out: string[] = [];
  for (const segment of joined.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') out.push(segment);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!isRooted) out.push('..');
  }
  const cleaned = (isRooted ? '/' : '') + out.join('/');
  return cleaned === '' ? '.' : cleaned;
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
