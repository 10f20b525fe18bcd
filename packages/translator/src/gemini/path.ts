/**
 * Google's native Gemini API paths: `/v1beta/models/{model}:{method}` (the same under `/v1/` and
 * `/v1alpha/`), as the Gemini CLI and Google's SDKs send them (`httpOptions.baseUrl` + version +
 * `models/…`). The model is a path segment; the method decides the endpoint and, for
 * `generateContent`, whether the answer is streamed.
 */
import type { Endpoint } from '../translator.js';

/** The Gemini methods the gateway serves. */
export type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'countTokens';

/** A Gemini API path, taken apart. */
export interface GeminiPath {
  /** The API version segment (`v1beta`, `v1`, `v1alpha`). */
  readonly version: string;
  /** The model, percent-decoded. */
  readonly model: string;
  /** The method after the colon. */
  readonly method: GeminiMethod;
  /** Everything before `/{version}/models/…` (the gateway's root prefix), `''` at the root. */
  readonly base: string;
}

// `{base}/{version}/models/{model}:{method}`, the model one segment without `:`.
const servedPath =
  /^(.*?)\/(v1|v1beta|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

// Any Gemini method on a model, served or not (embedContent, batchEmbedContents, …).
const anyGeminiPath = /\/v1(?:beta|alpha)?\/models\/[^/]+:[A-Za-z]+$/;

/** The path without its query string. */
function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

/** Decodes a model segment; an invalid escape leaves it as it is. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Takes a served Gemini API path apart (query ignored); `undefined` for any other path. */
export function parseGeminiPath(path: string): GeminiPath | undefined {
  const match = servedPath.exec(pathOnly(path));
  if (match === null) return undefined;
  const [, base = '', version = '', model = '', method] = match;
  if (model === '') return undefined;
  return { base, version, model: decodeSegment(model), method: method as GeminiMethod };
}

/** Whether a path is any Gemini model method (served or not), for Google-format 404s. */
export function isGeminiApiPath(path: string): boolean {
  return anyGeminiPath.test(pathOnly(path));
}

/** The endpoint of a Gemini method. */
export function geminiEndpointOf(method: GeminiMethod): Endpoint {
  return method === 'countTokens' ? 'gemini-count-tokens' : 'gemini-generate-content';
}

/** The Gemini endpoints. */
export type GeminiEndpoint = Extract<Endpoint, 'gemini-generate-content' | 'gemini-count-tokens'>;

/** Whether an endpoint is one of the Gemini ones. */
export function isGeminiEndpoint(endpoint: Endpoint): endpoint is GeminiEndpoint {
  return endpoint === 'gemini-generate-content' || endpoint === 'gemini-count-tokens';
}
