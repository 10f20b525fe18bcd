import type { ServerResponse } from 'node:http';
import type { RecordedRequest, UpstreamHandler } from '@aigw/testkit';
import { headerOf, jsonBody, sendJson } from './http.js';

/** Options of {@link fakeCohere}. */
export interface FakeCohereOptions {
  /** The API key it accepts (`authorization: Bearer <key>`). */
  readonly apiKey: string;
}

/** Cohere's v2 error body: `{"id", "message"}`. */
function cohereError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { id: 'fake-error-0001', message });
}

const words = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** Why a rerank body is refused, as Cohere words it (`undefined` when it is fine). */
function rerankProblem(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return 'invalid request: model must be a string';
  if (typeof body.query !== 'string') return 'invalid request: query must be a string';
  if (!Array.isArray(body.documents) || body.documents.length === 0) {
    return 'invalid request: documents must be a non-empty list';
  }
  if (!body.documents.every((d) => typeof d === 'string')) {
    return 'invalid request: documents must be strings';
  }
  return undefined;
}

/**
 * A fake Cohere API: `POST /v2/rerank` with `authorization: Bearer <key>` (else 401). Relevance is
 * the share of the query's words a document contains, so the ranking is deterministic and
 * meaningful; `top_n` cuts the list. `meta` reports `billed_units.search_units` 1 and
 * `tokens.input_tokens` as one token per word of the query times the documents plus the documents'
 * words (floats, as Cohere sends them). Anything else is a 404 in Cohere's error format.
 */
export function fakeCohere(options: FakeCohereOptions): UpstreamHandler {
  return (req: RecordedRequest, res: ServerResponse) => {
    const path = req.url.split('?')[0] ?? '';
    if (req.method !== 'POST' || path !== '/v2/rerank') {
      cohereError(res, 404, `unknown path ${path}`);
      return;
    }
    if (headerOf(req.headers, 'authorization') !== `Bearer ${options.apiKey}`) {
      cohereError(res, 401, 'invalid api token');
      return;
    }
    const body = jsonBody(req.body);
    const problem = body === undefined ? 'invalid request: body is not JSON' : rerankProblem(body);
    if (problem !== undefined || body === undefined) {
      cohereError(res, 400, problem ?? 'invalid request');
      return;
    }
    const query = new Set(words(String(body.query)));
    const documents = body.documents as string[];
    const scored = documents.map((document, index) => {
      const found = words(document).filter((w) => query.has(w));
      return { index, relevance_score: query.size === 0 ? 0 : new Set(found).size / query.size };
    });
    scored.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
    const topN = typeof body.top_n === 'number' ? body.top_n : scored.length;
    const inputTokens =
      query.size * documents.length + documents.reduce((sum, d) => sum + words(d).length, 0);
    sendJson(res, 200, {
      id: 'fake-rerank-0001',
      results: scored.slice(0, topN),
      meta: {
        api_version: { version: '2' },
        billed_units: { search_units: 1 },
        tokens: { input_tokens: inputTokens + 0.0, output_tokens: 0.0 },
      },
    });
  };
}
