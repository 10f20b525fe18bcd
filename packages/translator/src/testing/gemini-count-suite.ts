/**
 * The conformance suite of Gemini's `countTokens` (`…/models/{model}:countTokens`): the client's
 * contents (or the Gemini API's `generateContentRequest` wrapper) reach the provider's count API
 * and `{"totalTokens"}` comes back; counting charges no usage. Only Vertex AI counts: an
 * OpenAI-compatible backend has no count API, so the extproc answers with its local estimate
 * (outside the translator, tested in the extproc and e2e).
 */
import { createGeminiToGcpVertexAiTranslator } from '../gemini/gcpvertexai.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { assertEqual, ConformanceError } from './neutral.js';
import type { EndpointSuite, SuiteBackend, SuiteCheck, SuiteIngress } from './suite.js';

/** A count request in neutral terms. */
export interface GeminiCountRequest {
  /** The user's text. */
  readonly text: string;
  /** A system instruction, if any. */
  readonly system?: string;
  /** Sent inside `generateContentRequest`, as the Gemini API allows. */
  readonly wrapped?: boolean;
}

/** What the provider received. */
export interface GeminiCountUpstream {
  readonly path: string;
  readonly body: JsonObject;
}

/** The provider's count. */
export interface GeminiCountResponse {
  readonly totalTokens: number;
}

/** What the client read. */
export interface GeminiCountView {
  readonly totalTokens: number | undefined;
}

type CountCheck = SuiteCheck<GeminiCountResponse, GeminiCountView>;

const model = 'gemini-2.5-flash';
const gcp = { project: 'proj', region: 'us-east5' };

function contentsOf(request: GeminiCountRequest): JsonObject {
  return {
    contents: [{ role: 'user', parts: [{ text: request.text }] }],
    ...(request.system === undefined
      ? {}
      : { systemInstruction: { parts: [{ text: request.system }] } }),
  };
}

const ingress: SuiteIngress<GeminiCountRequest, GeminiCountView> = {
  endpoint: 'gemini-count-tokens',
  path: `/v1beta/models/${model}:countTokens`,
  encodeRequest: (request) =>
    request.wrapped === true
      ? { generateContentRequest: { model: `models/${model}`, ...contentsOf(request) } }
      : contentsOf(request),
  readResponse: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    return { totalTokens: typeof json?.totalTokens === 'number' ? json.totalTokens : undefined };
  },
  readError: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    return isJsonObject(json?.error) ? String(json.error.message) : '';
  },
};

const vertexBackend: SuiteBackend<GeminiCountUpstream, GeminiCountResponse> = {
  readRequest: (translated, original) => ({
    path: translated.path,
    body: parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {},
  }),
  encodeResponse: (response) => ({
    contentType: 'application/json',
    body: utf8Encoder.encode(JSON.stringify({ ...response, totalBillableCharacters: 40 })),
  }),
  encodeError: (error) => ({
    headers: new Map([['content-type', 'application/json']]),
    body: utf8Encoder.encode(
      JSON.stringify({
        error: { code: error.status, message: error.message, status: 'RESOURCE_EXHAUSTED' },
      }),
    ),
  }),
};

function checkCountPath(upstream: GeminiCountUpstream): void {
  const want = `/v1/projects/${gcp.project}/locations/${gcp.region}/publishers/google/models/${model}:countTokens`;
  assertEqual(upstream.path, want, 'path');
}

/** The `countTokens` suite. */
export const geminiCountSuite: EndpointSuite<
  GeminiCountRequest,
  GeminiCountUpstream,
  GeminiCountResponse,
  GeminiCountView
> = {
  title: '`countTokens` (Google Gemini API: `/v1beta/models/{model}:countTokens`)',
  ingress,
  cases: [
    {
      name: 'count-contents',
      description:
        'the contents and system instruction reach the provider’s count; its total comes back, no usage charged',
      request: { text: 'one two three', system: 'Be brief.' },
      checkRequest: (upstream: GeminiCountUpstream): void => {
        checkCountPath(upstream);
        assertEqual(
          upstream.body,
          contentsOf({ text: 'one two three', system: 'Be brief.' }),
          'body',
        );
      },
      response: { totalTokens: 5 },
      checkResponse: ({ client, usage }: CountCheck): void => {
        assertEqual(client.totalTokens, 5, 'total tokens');
        if (usage !== undefined) throw new ConformanceError('a count charged usage');
      },
    },
    {
      name: 'count-wrapped-request',
      description:
        'the Gemini API’s `generateContentRequest` wrapper reaches the provider as the request it wraps',
      request: { text: 'one two', wrapped: true },
      checkRequest: (upstream: GeminiCountUpstream): void => {
        checkCountPath(upstream);
        assertEqual(upstream.body, contentsOf({ text: 'one two' }), 'body');
      },
      response: { totalTokens: 2 },
      checkResponse: ({ client }: CountCheck): void => {
        assertEqual(client.totalTokens, 2, 'total tokens');
      },
    },
    {
      name: 'error-response',
      description: 'a provider error reaches the client in Google’s format with its status',
      request: { text: 'hi' },
      error: { status: 429, message: 'Quota exceeded for countTokens' },
    },
  ],
  pairs: [
    {
      name: 'gemini → gcpvertexai',
      schema: 'GCPVertexAI',
      backend: vertexBackend,
      create: () => createGeminiToGcpVertexAiTranslator({ schema: { name: 'GCPVertexAI' }, gcp }),
      skip: [],
    },
  ],
};
