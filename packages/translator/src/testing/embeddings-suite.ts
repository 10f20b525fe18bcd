/**
 * The `/v1/embeddings` conformance suite: neutral cases and the OpenAI client codec. The
 * providers' codecs and the pairs are in `embeddings-backends.ts`.
 *
 * @see https://platform.openai.com/docs/api-reference/embeddings
 */
import { utf8Decoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { assertEqual, ConformanceError } from './neutral.js';
import { gatewayUsage, type SuiteCase, type SuiteCheck, type SuiteIngress } from './suite.js';

/** An embeddings request in neutral terms. */
export interface EmbeddingsRequest {
  /** Model name the client asks for. */
  readonly model: string;
  /** One text or a batch. */
  readonly input: string | readonly string[];
  /** Output dimensions. */
  readonly dimensions?: number;
  /** How the client wants vectors (OpenAI's SDK asks for `base64` by default). */
  readonly encodingFormat?: 'float' | 'base64';
}

/** What the provider received. */
export interface EmbeddingsUpstream {
  /** The model the provider will run (body or path). */
  readonly model: string;
  /** The texts to embed, in order. */
  readonly inputs: readonly string[];
  /** Output dimensions, if asked. */
  readonly dimensions: number | undefined;
  /** How the provider will encode vectors (`float` for providers without the option). */
  readonly encodingFormat: 'float' | 'base64';
}

/** The provider's answer. */
export interface EmbeddingsResponse {
  /** Model the provider reports. */
  readonly model: string;
  /** One vector per input (values exact in float32, so base64 round trips compare equal). */
  readonly vectors: readonly (readonly number[])[];
  /** Input tokens counted. */
  readonly tokens: number;
}

/** What an OpenAI client decoded. */
export interface EmbeddingsView {
  /** Vectors in `data` order (base64 decoded as little-endian float32). */
  readonly vectors: readonly (readonly number[])[];
  /** `data[].index`. */
  readonly indexes: readonly number[];
  /** How each vector was encoded. */
  readonly encodings: readonly ('float' | 'base64')[];
  /** `usage`, if present. */
  readonly usage: { readonly prompt: number; readonly total: number } | undefined;
}

/** A vector from OpenAI's base64: little-endian float32 bytes, as the OpenAI SDKs decode it. */
export function decodeBase64Vector(text: string): number[] {
  const binary = atob(text);
  if (binary.length % 4 !== 0) {
    throw new ConformanceError(`base64 embedding of ${binary.length} bytes is not float32`);
  }
  const view = new DataView(Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer);
  return Array.from({ length: binary.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** A vector as OpenAI's base64 (little-endian float32), for the OpenAI backend codec. */
export function encodeBase64Vector(vector: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((value, i) => {
    view.setFloat32(i * 4, value, true);
  });
  let binary = '';
  for (const byte of new Uint8Array(view.buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function readItem(item: JsonObject): { vector: number[]; encoding: 'float' | 'base64' } {
  const embedding = item.embedding;
  if (typeof embedding === 'string') {
    return { vector: decodeBase64Vector(embedding), encoding: 'base64' };
  }
  if (Array.isArray(embedding) && embedding.every((v) => typeof v === 'number')) {
    return { vector: embedding, encoding: 'float' };
  }
  throw new ConformanceError(`embedding is neither floats nor base64: ${JSON.stringify(item)}`);
}

/** The OpenAI `/v1/embeddings` client. */
export const openAIEmbeddingsIngress: SuiteIngress<EmbeddingsRequest, EmbeddingsView> = {
  endpoint: 'embeddings',
  path: '/v1/embeddings',
  encodeRequest: (request) => {
    const body: JsonObject = { model: request.model, input: request.input };
    if (request.dimensions !== undefined) body.dimensions = request.dimensions;
    if (request.encodingFormat !== undefined) body.encoding_format = request.encodingFormat;
    return body;
  },
  readResponse: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    if (json?.object !== 'list' || !Array.isArray(json.data)) {
      throw new ConformanceError(`not an embeddings list: ${utf8Decoder.decode(body)}`);
    }
    const items = json.data.filter(isJsonObject).map((item) => ({ item, ...readItem(item) }));
    const usage = isJsonObject(json.usage) ? json.usage : undefined;
    return {
      vectors: items.map((i) => i.vector),
      indexes: items.map((i) => Number(i.item.index)),
      encodings: items.map((i) => i.encoding),
      usage:
        usage === undefined
          ? undefined
          : { prompt: Number(usage.prompt_tokens), total: Number(usage.total_tokens) },
    };
  },
  readError: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    const error = isJsonObject(json?.error) ? json.error : undefined;
    return typeof error?.message === 'string' ? error.message : '';
  },
};

type EmbeddingsCase = SuiteCase<
  EmbeddingsRequest,
  EmbeddingsUpstream,
  EmbeddingsResponse,
  EmbeddingsView
>;
type EmbeddingsCheck = SuiteCheck<EmbeddingsResponse, EmbeddingsView>;

const model = 'embed-model';
const single: EmbeddingsRequest = { model, input: 'The food was delicious 🍜' };
const singleResponse: EmbeddingsResponse = {
  model: 'embed-model-2025',
  vectors: [[0.25, -0.5, 1, 0.125, -0.0625]],
  tokens: 7,
};
const batchInputs = ['first', 'second 日本語', 'third'];
const batchResponse: EmbeddingsResponse = {
  model: 'embed-model-2025',
  vectors: [
    [0.5, 0.25],
    [-1, 0.75],
    [0.125, -0.375],
  ],
  tokens: 9,
};
const wideVector = Array.from({ length: 256 }, (_, i) => ((i % 32) - 16) / 32);

/** Checks the client got the provider's vectors, in order, in the encoding it asked for. */
function vectorsChecker(encoding: 'float' | 'base64'): (check: EmbeddingsCheck) => void {
  return ({ client, response }) => {
    assertEqual(client.vectors, response.vectors, 'vectors');
    assertEqual(
      client.indexes,
      response.vectors.map((_, i) => i),
      'indexes',
    );
    assertEqual(
      client.encodings,
      response.vectors.map(() => encoding),
      'encodings',
    );
  };
}

function checkUpstream(want: Partial<EmbeddingsUpstream>): (up: EmbeddingsUpstream) => void {
  return (up) => {
    assertEqual(up.model, want.model ?? model, 'upstream model');
    assertEqual(up.inputs, want.inputs ?? [single.input], 'upstream inputs');
    assertEqual(up.dimensions, want.dimensions, 'upstream dimensions');
  };
}

/** Checks the input tokens reached the client and the gateway. */
function checkUsage({ client, usage, response }: EmbeddingsCheck): void {
  const tokens = response.tokens;
  assertEqual(client.usage, { prompt: tokens, total: tokens }, 'client usage');
  assertEqual(gatewayUsage(usage), { input: tokens, output: 0, total: tokens }, 'gateway usage');
}

/** The `/v1/embeddings` cases. */
export const embeddingsCases: readonly EmbeddingsCase[] = [
  {
    name: 'single-input',
    description: 'one text reaches the provider; its vector comes back as floats',
    request: single,
    checkRequest: checkUpstream({}),
    response: singleResponse,
    checkResponse: vectorsChecker('float'),
  },
  {
    name: 'batch-input',
    description: 'a batch of texts reaches the provider in order; one vector per text comes back',
    request: { model, input: batchInputs },
    checkRequest: checkUpstream({ inputs: batchInputs }),
    response: batchResponse,
    checkResponse: vectorsChecker('float'),
  },
  {
    name: 'dimensions',
    description: '`dimensions` reaches the provider as its output-size parameter',
    request: { ...single, dimensions: 256 },
    checkRequest: checkUpstream({ dimensions: 256 }),
    response: { ...singleResponse, vectors: [wideVector] },
    checkResponse: vectorsChecker('float'),
  },
  {
    name: 'base64-encoding',
    description:
      '`encoding_format: base64` (the OpenAI SDK default) returns little-endian float32 base64',
    request: { ...single, encodingFormat: 'base64' },
    checkRequest: checkUpstream({}),
    response: singleResponse,
    checkResponse: vectorsChecker('base64'),
  },
  {
    name: 'usage',
    description: 'input tokens are reported to the client and the gateway',
    request: single,
    response: singleResponse,
    checkResponse: checkUsage,
  },
  {
    name: 'error-response',
    description: 'a provider error response is mapped into an OpenAI error with its status',
    request: single,
    error: { status: 429, message: 'Rate limited, slow down' },
  },
];
