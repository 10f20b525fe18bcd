/**
 * Maps request paths to ingress endpoints and client dialects, under configurable prefixes.
 *
 * Upstream registers each processor at `path.Join(rootPrefix, <schema prefix>, <API path>)` and
 * matches the request path (query stripped) exactly; the prefixes default to openai `/`, cohere
 * `/cohere`, anthropic `/anthropic`, rootPrefix `/`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/internalapi/internalapi.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/cmd/extproc/mainlib/main.go
 */
import { geminiEndpointOf, isGeminiApiPath, parseGeminiPath } from './gemini/path.js';
import type { Dialect, Endpoint } from './translator.js';

/** Path prefixes of the API families (upstream's `internalapi.EndpointPrefixes`). */
export interface EndpointPrefixes {
  /**
   * OpenAI-compatible endpoints (`/v1/chat/completions`, `/v1/responses`, `/v1/models`, …);
   * default `/`.
   */
  readonly openai: string;
  /** Cohere endpoints (`/v2/rerank`; `/v2/embed` is not served yet); default `/cohere`. */
  readonly cohere: string;
  /** Anthropic endpoints (`/v1/messages`); default `/anthropic`. */
  readonly anthropic: string;
}

/** The prefixes upstream uses when `-endpointPrefixes` is not given. */
export const defaultEndpointPrefixes: EndpointPrefixes = Object.freeze({
  openai: '/',
  cohere: '/cohere',
  anthropic: '/anthropic',
});

/** The root prefix upstream uses when `-rootPrefix` is not given. */
export const defaultRootPrefix = '/';

/** Where the endpoints are served: the root prefix and, below it, one prefix per API family. */
export interface EndpointLayout {
  readonly rootPrefix: string;
  readonly prefixes: EndpointPrefixes;
}

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

/** Structural guard for {@link EndpointPrefixError} that does not rely on `instanceof`. */
export function isEndpointPrefixError(err: unknown): err is EndpointPrefixError {
  return err instanceof Error && err.name === 'EndpointPrefixError';
}

const prefixKeys = ['openai', 'cohere', 'anthropic'] as const;
type PrefixKey = (typeof prefixKeys)[number];

function isPrefixKey(key: string): key is PrefixKey {
  return (prefixKeys as readonly string[]).includes(key);
}

// A prefix is a path: no query, fragment, whitespace or control characters.
const badPathCharacter = /[?#\s\p{Cc}]/u;

/**
 * Parses `openai:/,cohere:/cohere,anthropic:/anthropic` (upstream's `-endpointPrefixes` format):
 * comma-separated `key:value` pairs, keys `openai`, `cohere`, `anthropic` (case-sensitive),
 * spaces around keys and values ignored. Keys not given keep their defaults; `''` gives the
 * defaults; a key given twice takes the last value (as upstream). An empty value (`openai:`)
 * means no prefix, like `/`.
 *
 * @throws EndpointPrefixError `invalid_endpoint_prefixes` for an empty pair, a pair without `:`,
 * an unknown key, or a value that is not a path.
 */
export function parseEndpointPrefixes(text: string): EndpointPrefixes {
  if (text === '') return defaultEndpointPrefixes;
  const out: Record<PrefixKey, string> = { ...defaultEndpointPrefixes };
  const pairs = text.split(',');
  for (const [index, raw] of pairs.entries()) {
    const [key, value] = parsePair(raw.trim(), `at position ${String(index + 1)}`);
    out[key] = value;
  }
  return Object.freeze(out);
}

function parsePair(pair: string, position: string): [PrefixKey, string] {
  const fail = (message: string): EndpointPrefixError =>
    new EndpointPrefixError('invalid_endpoint_prefixes', message);
  if (pair === '')
    throw fail(`empty pair ${position} (expected key:value, e.g. anthropic:/claude)`);
  const colon = pair.indexOf(':');
  if (colon === -1) {
    throw fail(`invalid pair ${position}: ${JSON.stringify(pair)} (expected key:value)`);
  }
  const key = pair.slice(0, colon).trim();
  const value = pair.slice(colon + 1).trim();
  if (!isPrefixKey(key)) {
    throw fail(
      `unknown key ${JSON.stringify(key)} ${position} (allowed: ${prefixKeys.join(', ')})`,
    );
  }
  if (badPathCharacter.test(value)) {
    throw fail(
      `invalid ${key} prefix ${JSON.stringify(value)} ${position}: ` +
        'a path prefix may not contain "?", "#", spaces or control characters',
    );
  }
  return [key, value];
}

/**
 * Validates and normalises a root prefix (upstream's `-rootPrefix`): it must start with `/`
 * (upstream accepts anything, but a relative root never matches a request path); trailing and
 * repeated slashes are dropped, `/ai/` gives `/ai`.
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

/**
 * Joins path elements as Go's `path.Join` does (upstream builds every endpoint path with it):
 * empty elements are ignored, the result is cleaned (repeated slashes, trailing slash, `.` and
 * `..` resolved). `joinPath('/ai', '/', '/v1/models')` is `/ai/v1/models`.
 */
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

/** The path without its query string. */
function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

// An Anthropic API path under any prefix: a `/v1/messages` segment pair, alone or with sub-paths.
const anthropicApiPath = /\/v1\/messages(?:\/|$)/;

/**
 * Decides, for one {@link EndpointLayout}, which endpoint a request path is and which dialect a
 * client speaks. Build it once (the lookups are on the hot path: one Map get per request).
 */
export class EndpointMatcher {
  /** The layout this matcher was built from (root prefix normalised). */
  readonly layout: EndpointLayout;
  /** `GET` on this path lists the models (OpenAI's `/v1/models` under the openai prefix). */
  readonly modelsPath: string;
  /**
   * `GET` on this path lists the models in Anthropic's format (`/anthropic/v1/models` under the
   * anthropic prefix, as upstream serves it); `undefined` when the anthropic prefix is the openai
   * one (then {@link modelsPath} serves both, told apart by the `anthropic-version` header).
   */
  readonly anthropicModelsPath: string | undefined;
  /** Every accepted path (no query) and its endpoint. */
  readonly paths: ReadonlyMap<string, Endpoint>;
  readonly #anthropicBase: string | undefined;
  /** The cohere prefix, when it has one of its own (not the openai one, not the root). */
  readonly #cohereBase: string | undefined;

  constructor(layout: Partial<EndpointLayout> = {}) {
    const rootPrefix = joinPath(layout.rootPrefix ?? defaultRootPrefix) || '/';
    const prefixes = layout.prefixes ?? defaultEndpointPrefixes;
    this.layout = { rootPrefix, prefixes };
    const openai = (path: string): string => joinPath(rootPrefix, prefixes.openai, path);
    const anthropic = joinPath(rootPrefix, prefixes.anthropic);
    this.modelsPath = openai('/v1/models');
    this.paths = new Map<string, Endpoint>([
      // aigw's addition, not upstream's: Anthropic messages also under the openai prefix (the
      // path Anthropic's SDK uses with the gateway's root as base URL). Listed first so that
      // upstream's own paths win if a layout makes them collide.
      [openai('/v1/messages'), 'messages'],
      [openai('/v1/chat/completions'), 'chat-completions'],
      [openai('/v1/completions'), 'completions'],
      [openai('/v1/embeddings'), 'embeddings'],
      [openai('/v1/responses'), 'responses'],
      [openai('/v1/responses/input_tokens'), 'responses-input-tokens'],
      [openai('/tokenize'), 'tokenize'],
      [joinPath(rootPrefix, prefixes.cohere, '/v2/rerank'), 'rerank'],
      [openai('/v1/images/generations'), 'image-generations'],
      [openai('/v1/audio/speech'), 'audio-speech'],
      [openai('/v1/audio/transcriptions'), 'audio-transcriptions'],
      [openai('/v1/audio/translations'), 'audio-translations'],
      [joinPath(anthropic, '/v1/messages'), 'messages'],
      [openai('/v1/messages/count_tokens'), 'count-tokens'],
      [joinPath(anthropic, '/v1/messages/count_tokens'), 'count-tokens'],
    ]);
    // Only a prefix of its own tells Anthropic clients apart by path alone.
    this.#anthropicBase =
      anthropic === joinPath(rootPrefix, prefixes.openai) ? undefined : anthropic;
    const cohere = joinPath(rootPrefix, prefixes.cohere);
    this.#cohereBase =
      cohere === joinPath(rootPrefix, prefixes.openai) || cohere === '/' ? undefined : cohere;
    this.anthropicModelsPath =
      this.#anthropicBase === undefined ? undefined : joinPath(anthropic, '/v1/models');
  }

  /**
   * The ingress endpoint for a request `:path` (query ignored; exact match), or `undefined`.
   * Gemini's `{root}/{v1beta|v1|v1alpha}/models/{model}:{method}` paths carry the model, so they
   * are matched by pattern, right under the root prefix.
   */
  endpointFor(path: string): Endpoint | undefined {
    const p = pathOnly(path);
    const known = this.paths.get(p);
    if (known !== undefined) return known;
    const gemini = parseGeminiPath(p);
    if (gemini === undefined || (gemini.base || '/') !== this.layout.rootPrefix) return undefined;
    return geminiEndpointOf(gemini.method);
  }

  /**
   * The client dialect for any path, including unknown ones (for 404 bodies): Anthropic at or
   * under the anthropic prefix (when it differs from the openai one) and for any `…/v1/messages`
   * path or its sub-paths (such as `count_tokens`), Gemini for Google's `…/models/{model}:{method}`
   * paths, else OpenAI.
   */
  dialectFor(path: string): Dialect {
    const p = pathOnly(path);
    if (isGeminiApiPath(p)) return 'gemini';
    const cohere = this.#cohereBase;
    if (cohere !== undefined && (p === cohere || p.startsWith(`${cohere}/`))) return 'cohere';
    const base = this.#anthropicBase;
    if (base !== undefined && base !== '/' && (p === base || p.startsWith(`${base}/`))) {
      return 'anthropic';
    }
    return anthropicApiPath.test(p) ? 'anthropic' : 'openai';
  }
}

/** The matcher for upstream's default layout. */
export const defaultEndpointMatcher: EndpointMatcher = new EndpointMatcher();

/** Builds an {@link EndpointMatcher}; omitted parts of the layout take upstream's defaults. */
export function createEndpointMatcher(layout: Partial<EndpointLayout> = {}): EndpointMatcher {
  return new EndpointMatcher(layout);
}

/**
 * The ingress endpoint for a request `:path` (query ignored; exact match) in `matcher`'s layout
 * (default: upstream's), or `undefined`.
 */
export function endpointForPath(
  path: string,
  matcher: EndpointMatcher = defaultEndpointMatcher,
): Endpoint | undefined {
  return matcher.endpointFor(path);
}

/** The client dialect of an endpoint: Anthropic for `messages`, Cohere for `rerank`, else OpenAI. */
export function dialectOf(endpoint: Endpoint): Dialect {
  if (endpoint === 'rerank') return 'cohere';
  if (endpoint === 'count-tokens') return 'anthropic';
  if (endpoint === 'gemini-generate-content' || endpoint === 'gemini-count-tokens') return 'gemini';
  return endpoint === 'messages' ? 'anthropic' : 'openai';
}

/** The client dialect for any path in `matcher`'s layout; see {@link EndpointMatcher.dialectFor}. */
export function dialectForPath(
  path: string,
  matcher: EndpointMatcher = defaultEndpointMatcher,
): Dialect {
  return matcher.dialectFor(path);
}
