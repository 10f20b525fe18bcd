import type { ErrorResponse } from '@aigw/translator';

/**
 * Google's native Gemini API paths (`/v1beta/models/gemini-2.5-pro:generateContent`, the same
 * under `/v1/` and `/v1alpha/`, any root prefix before them): what the Gemini CLI and Google's
 * SDKs send. The gateway has no Gemini ingress yet; such a request gets its 404 in Google's error
 * format, so a Gemini client reports an unsupported path rather than a wrong model name.
 */
const geminiPath =
  /\/v1(?:beta|alpha)?\/models\/[^/]+:(?:generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$/;

/** The 404 of an unsupported Gemini API path, in Google's format; undefined for other paths. */
export function geminiPathNotFound(path: string): ErrorResponse | undefined {
  const query = path.indexOf('?');
  const p = query === -1 ? path : path.slice(0, query);
  if (!geminiPath.test(p)) return undefined;
  const message =
    `unsupported path: ${p} (the native Gemini API is not served by this gateway; ` +
    'send OpenAI chat completions to /v1/chat/completions)';
  return {
    status: 404,
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify({ error: { code: 404, message, status: 'NOT_FOUND' } })),
  };
}
