import type { ErrorResponse } from '@aigw/translator';

/**
 * Google's native Gemini API paths (`/v1beta/models/gemini-2.5-pro:generateContent`, the same
 * under `/v1/` and `/v1alpha/`, any root prefix before them): what the Gemini CLI and Google's
 * SDKs send. The gateway serves `generateContent`, `streamGenerateContent` and `countTokens` under
 * its root prefix (the translator's `EndpointMatcher`); any other method (`embedContent`,
 * `batchEmbedContents`, …) gets a 404 in Google's error format, so a Gemini client reports an
 * unsupported method rather than an unreadable error.
 */
const geminiPath = /\/v1(?:beta|alpha)?\/models\/[^/]+:([A-Za-z]+)$/;

/** The 404 of an unsupported Gemini API path, in Google's format; undefined for other paths. */
export function geminiPathNotFound(path: string): ErrorResponse | undefined {
  const query = path.indexOf('?');
  const p = query === -1 ? path : path.slice(0, query);
  const match = geminiPath.exec(p);
  if (match === null) return undefined;
  const message =
    `unsupported path: ${p} (the gateway serves the Gemini methods generateContent, ` +
    `streamGenerateContent and countTokens at its root prefix, not ${match[1] ?? 'this one'})`;
  return {
    status: 404,
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify({ error: { code: 404, message, status: 'NOT_FOUND' } })),
  };
}

/**
 * The path with a `key` query parameter (Google's API key in the URL, `?key=…`) removed, for
 * anything that repeats the client's path (the `original_path` metadata reaches Envoy's
 * local-reply mapper and the logs): the client's key is never passed on.
 */
export function withoutApiKey(path: string): string {
  const query = path.indexOf('?');
  if (query === -1 || !/[?&]key=/.test(path)) return path;
  const kept = path
    .slice(query + 1)
    .split('&')
    .filter((pair) => !pair.startsWith('key='));
  return kept.length === 0 ? path.slice(0, query) : `${path.slice(0, query)}?${kept.join('&')}`;
}
