import { describe, expect, it } from 'vitest';
import { expectGolden, prettyJson, testdataDir } from '../../test/golden.js';
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import type { Translator } from '../translator.js';
import { createOpenAIToAwsBedrockEmbeddingsTranslator } from './awsbedrock-embeddings.js';
import { createOpenAIToGcpVertexAiEmbeddingsTranslator } from './gcpvertexai-embeddings.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Case {
  readonly name: string;
  readonly body: Record<string, unknown>;
  readonly response?: unknown;
}

function run(translator: Translator, c: Case): unknown {
  try {
    const translated = translator.request({
      request: parseRequest('embeddings', encoder.encode(JSON.stringify(c.body))),
      path: '/v1/embeddings',
    });
    const request = {
      path: translated.path,
      body: JSON.parse(decoder.decode(translated.body)) as unknown,
    };
    if (c.response === undefined) {
      return { request };
    }
    translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const raw = encoder.encode(JSON.stringify(c.response));
    expect(translator.responseBody(raw.slice(0, 3), false).body).toEqual(new Uint8Array(0));
    const result = translator.responseBody(raw.slice(3), true);
    return {
      request,
      response: JSON.parse(decoder.decode(result.body)) as unknown,
      usage: result.usage,
      responseModel: result.responseModel,
    };
  } catch (err) {
    if (!isUserFacing(err)) throw err;
    return { error: { status: err.status, message: err.message } };
  }
}

const titanResponse = { embedding: [0.25, -0.5, 1], inputTextTokenCount: 4 };
const bedrockCases: Case[] = [
  {
    name: 'titan-single-input',
    body: { model: 'amazon.titan-embed-text-v2:0', input: 'hello world', dimensions: 256 },
    response: titanResponse,
  },
  {
    name: 'titan-single-element-array-base64',
    body: { model: 'amazon.titan-embed-text-v2:0', input: ['hi'], encoding_format: 'base64' },
    response: titanResponse,
  },
  {
    name: 'titan-batch-rejected',
    body: { model: 'amazon.titan-embed-text-v2:0', input: ['a', 'b'] },
  },
  {
    name: 'titan-token-array-rejected',
    body: { model: 'amazon.titan-embed-text-v2:0', input: [1, 2, 3] },
  },
];

const vertexResponse = {
  predictions: [
    { embeddings: { values: [0.1, 0.2], statistics: { token_count: 3, truncated: false } } },
    { embeddings: { values: [0.3, 0.4], statistics: { token_count: 5, truncated: false } } },
  ],
};
const vertexCases: Case[] = [
  {
    name: 'vertex-batch-with-dimensions',
    body: { model: 'text-embedding-005', input: ['first', 'second'], dimensions: 2, user: 'u' },
    response: vertexResponse,
  },
  {
    name: 'vertex-unsupported-parameter-rejected',
    body: { model: 'text-embedding-005', input: 'x', truncate: 'END' },
  },
];

describe('openai → awsbedrock embeddings (Titan)', () => {
  it.each(bedrockCases)('translates $name', (c) => {
    const out = run(
      createOpenAIToAwsBedrockEmbeddingsTranslator({ schema: { name: 'AWSBedrock' } }),
      c,
    );
    expectGolden(
      prettyJson(out),
      new URL(`embeddings-${c.name}.out.json`, testdataDir('openai-awsbedrock')),
    );
  });

  it('encodes base64 vectors as little-endian float32, as the OpenAI SDKs decode them', () => {
    const out = run(
      createOpenAIToAwsBedrockEmbeddingsTranslator({ schema: { name: 'AWSBedrock' } }),
      bedrockCases[1] as Case,
    ) as {
      response: { data: { embedding: string }[] };
    };
    const bytes = Uint8Array.from(atob(out.response.data[0]?.embedding ?? ''), (ch) =>
      ch.charCodeAt(0),
    );
    const view = new DataView(bytes.buffer);
    expect([0, 1, 2].map((i) => view.getFloat32(i * 4, true))).toEqual([0.25, -0.5, 1]);
  });
});

describe('openai → gcpvertexai embeddings (predict)', () => {
  it.each(vertexCases)('translates $name', (c) => {
    const out = run(
      createOpenAIToGcpVertexAiEmbeddingsTranslator({
        schema: { name: 'GCPVertexAI' },
        gcp: { project: 'p', region: 'us-central1' },
      }),
      c,
    );
    expectGolden(
      prettyJson(out),
      new URL(`embeddings-${c.name}.out.json`, testdataDir('openai-gcpvertexai')),
    );
  });

  it('maps Vertex errors to OpenAI errors', () => {
    const t = createOpenAIToGcpVertexAiEmbeddingsTranslator({ schema: { name: 'GCPVertexAI' } });
    const result = t.responseError(
      400,
      new Map(),
      encoder.encode('{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}'),
    );
    expect(JSON.parse(decoder.decode(result.body))).toEqual({
      error: { message: 'bad', type: 'INVALID_ARGUMENT', param: null, code: '400' },
    });
  });
});

describe('embeddings backends: response headers', () => {
  it.each([
    [
      'AWS Bedrock',
      createOpenAIToAwsBedrockEmbeddingsTranslator({ schema: { name: 'AWSBedrock' } }),
    ],
    [
      'GCP Vertex AI',
      createOpenAIToGcpVertexAiEmbeddingsTranslator({
        schema: { name: 'GCPVertexAI' },
        gcp: { project: 'p', region: 'r' },
      }),
    ],
  ])('%s drops the upstream content-length of the rebuilt body', (_, translator) => {
    const result = translator.responseHeaders(
      200,
      new Map([
        ['content-type', 'application/json'],
        ['content-length', '99'],
      ]),
    );
    expect(result).toEqual({
      headers: { set: [], remove: ['content-length'] },
      isStreaming: false,
    });
  });
});
