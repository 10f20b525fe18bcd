/**
 * A provider body the translator cannot read is a typed `MalformedResponseError` (502), never a
 * bare `Error`: the caller answers the client with a generic 502 and logs the detail.
 */
import { describe, expect, it } from 'vitest';
import {
  isTranslatorError,
  isUserFacing,
  MalformedResponseError,
  toClientError,
} from '../errors.js';
import { parseRequest } from '../parse-request.js';
import type { Endpoint, Translator } from '../translator.js';
import { createOpenAIToAwsBedrockEmbeddingsTranslator } from './awsbedrock-embeddings.js';
import { createOpenAIToAwsBedrockTranslator } from './awsbedrock.js';
import { createOpenAIToGcpVertexAiEmbeddingsTranslator } from './gcpvertexai-embeddings.js';
import { createOpenAIToGcpVertexAiTranslator } from './gcpvertexai.js';

const encoder = new TextEncoder();

interface Row {
  readonly pair: string;
  readonly endpoint: Endpoint;
  readonly create: () => Translator;
  readonly request: string;
  readonly response: string;
  readonly message: RegExp;
}

const chat = '{"model":"m","messages":[]}';
const embeddings = '{"model":"m","input":"hi"}';
const bedrock = (): Translator =>
  createOpenAIToAwsBedrockTranslator({ schema: { name: 'AWSBedrock' } });
const vertex = (): Translator =>
  createOpenAIToGcpVertexAiTranslator({ schema: { name: 'GCPVertexAI' } });
const titan = (): Translator =>
  createOpenAIToAwsBedrockEmbeddingsTranslator({ schema: { name: 'AWSBedrock' } });
const vertexEmbeddings = (): Translator =>
  createOpenAIToGcpVertexAiEmbeddingsTranslator({ schema: { name: 'GCPVertexAI' } });

const rows: Row[] = [
  {
    pair: 'openai → awsbedrock, body not JSON',
    endpoint: 'chat-completions',
    create: bedrock,
    request: chat,
    response: '<html>bad gateway</html>',
    message: /^AWS Bedrock response body is not a JSON object$/,
  },
  {
    pair: 'openai → awsbedrock, JSON array',
    endpoint: 'chat-completions',
    create: bedrock,
    request: chat,
    response: '[]',
    message: /not a JSON object/,
  },
  {
    pair: 'openai → awsbedrock, 200 without "output"',
    endpoint: 'chat-completions',
    create: bedrock,
    request: chat,
    response: '{"stopReason":"end_turn"}',
    message: /^AWS Bedrock response has no "output" \(stopReason "end_turn"\)$/,
  },
  {
    pair: 'openai → gcpvertexai, body not JSON',
    endpoint: 'chat-completions',
    create: vertex,
    request: chat,
    response: 'upstream connect error',
    message: /^GCP Vertex AI response body is not a JSON object$/,
  },
  {
    pair: 'openai → awsbedrock embeddings, body not JSON',
    endpoint: 'embeddings',
    create: titan,
    request: embeddings,
    response: '{"embedding":',
    message: /embeddings response is not a JSON object$/,
  },
  {
    pair: 'openai → gcpvertexai embeddings, body not JSON',
    endpoint: 'embeddings',
    create: vertexEmbeddings,
    request: embeddings,
    response: '',
    message: /embeddings response is not a JSON object$/,
  },
];

describe('malformed provider responses', () => {
  it.each(rows)('$pair → MalformedResponseError (502)', (row) => {
    const translator = row.create();
    translator.request({
      request: parseRequest(row.endpoint, encoder.encode(row.request)),
      path: row.endpoint === 'embeddings' ? '/v1/embeddings' : '/v1/chat/completions',
    });
    translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
    let thrown: unknown;
    try {
      translator.responseBody(encoder.encode(row.response), true);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MalformedResponseError);
    expect(thrown).toMatchObject({
      name: 'MalformedResponseError',
      code: 'malformed_response',
      status: 502,
    });
    expect((thrown as Error).message).toMatch(row.message);
    expect(isTranslatorError(thrown)).toBe(true);
    expect(isUserFacing(thrown)).toBe(false);
    expect(toClientError(thrown)).toEqual({
      status: 502,
      message: 'the provider returned a response the gateway could not read',
    });
  });
});
