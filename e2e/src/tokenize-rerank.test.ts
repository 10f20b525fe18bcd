import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CohereClientV2, CohereError } from 'cohere-ai';
import { OpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  fakeServiceAccount,
  startFakeGoogle,
  type FakeGoogle,
} from '@aigw/cloud-credentials/testing';
import { useHarness, waitFor, type FakeUpstream } from '@aigw/testkit';
import { aigwAccessLines } from './support/access-log.js';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import {
  apiKeyObjects,
  backendObjects,
  gcpCredentialObjects,
  modelRouteObject,
  policyObjects,
} from './support/backend-yaml.js';
import { fakeBedrock } from './support/fake-providers/fake-bedrock.js';
import { fakeCohere } from './support/fake-providers/fake-cohere.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';
import { fakeVertex } from './support/fake-providers/fake-vertex.js';

/**
 * The one-object APIs through `aigw run` and a real Envoy: vLLM's `/tokenize` to an OpenAI-schema
 * server (passed through), AWS Bedrock (CountTokens) and Vertex AI Gemini (`countTokens`); OpenAI's
 * `/v1/responses/input_tokens` with the official `openai` client, passed through to OpenAI and
 * counted on Bedrock; Cohere's `/cohere/v2/rerank` with the official `cohere-ai` client. Every
 * fake counts one token per word, so a count proves the texts arrived in the provider's shape.
 */
const harness = useHarness();
const keys = { openai: 'sk-tokenize-openai-0123', cohere: 'co-fake-key-4567' } as const;
const aws = { accessKeyId: 'AKIATOKENIZE00001', secretAccessKey: 'fake/tokenize+secret' } as const;
const gcp = { project: 'tokenize-project', region: 'us-east5' } as const;
const usage = { input: 3, output: 2 };

const models = {
  vllm: 'meta-llama/Llama-3.1-8B-Instruct',
  bedrock: 'us.amazon.nova-lite-v1:0',
  gemini: 'gemini-2.5-flash',
  rerank: 'rerank-v3.5',
} as const;

interface Upstreams {
  readonly openai: FakeUpstream;
  readonly bedrock: FakeUpstream;
  readonly vertex: FakeUpstream;
  readonly cohere: FakeUpstream;
}

/**
 * The endpoint hostname Envoy sends to (and the extproc signs for): Bedrock's, so the fake can
 * check the SigV4 signature against the host it receives.
 */
const host = (name: string): { hostname?: string } =>
  name === 'bedrock' ? { hostname: 'bedrock-runtime.us-east-1.amazonaws.com' } : {};

/** The gateway's resources: one route rule per model, four backends. */
function gatewayYaml(upstreams: Upstreams, serviceAccountJson: string): string {
  const docs = [
    modelRouteObject('tokenize', [
      [models.vllm, 'vllm'],
      [models.bedrock, 'bedrock'],
      [models.gemini, 'vertex'],
      [models.rerank, 'cohere'],
    ]),
    ...backendObjects('vllm', { name: 'OpenAI' }, upstreams.openai),
    ...apiKeyObjects('vllm', keys.openai),
    ...backendObjects(
      'bedrock',
      { name: 'AWSBedrock' },
      { port: upstreams.bedrock.port, ...host('bedrock') },
    ),
    ...policyObjects(
      'bedrock',
      {
        type: 'AWSCredentials',
        awsCredentials: {
          region: 'us-east-1',
          credentialsFile: { secretRef: { name: 'bedrock-key' } },
        },
      },
      {
        credentials: `[default]\naws_access_key_id = ${aws.accessKeyId}\naws_secret_access_key = ${aws.secretAccessKey}\n`,
      },
    ),
    ...backendObjects('vertex', { name: 'GCPVertexAI' }, upstreams.vertex),
    ...gcpCredentialObjects('vertex', gcp, serviceAccountJson),
    ...backendObjects('cohere', { name: 'Cohere', version: 'v2' }, upstreams.cohere),
    ...apiKeyObjects('cohere', keys.cohere),
  ];
  return docs.map((doc) => stringify(doc)).join('---\n');
}

describe('/tokenize, /v1/responses/input_tokens and /cohere/v2/rerank through aigw run', () => {
  let google: FakeGoogle;
  let upstreams: Upstreams;
  let aigw: RunningAigw;
  let openai: OpenAI;

  beforeAll(async () => {
    const account = fakeServiceAccount({ project: gcp.project, name: 'tokenize' });
    google = await startFakeGoogle({ serviceAccounts: [account] });
    upstreams = {
      openai: await harness.upstream(
        fakeOpenAI({ apiKey: keys.openai, azureApiKey: 'unused', usage }),
        { name: 'fake-vllm' },
      ),
      bedrock: await harness.upstream(
        fakeBedrock({ credentials: { ...aws, region: 'us-east-1' }, usage }),
        { name: 'fake-bedrock' },
      ),
      vertex: await harness.upstream(
        fakeVertex({
          token: (token) => google.issued.isValid(token),
          project: gcp.project,
          region: gcp.region,
          usage,
        }),
        { name: 'fake-vertex' },
      ),
      cohere: await harness.upstream(fakeCohere({ apiKey: keys.cohere }), { name: 'fake-cohere' }),
    };
    const file = join(harness.tempDir('tokenize-rerank'), 'gateway.yaml');
    writeFileSync(file, gatewayYaml(upstreams, account.keyJson));
    aigw = await startAigw({
      args: [file],
      env: { AIGW_GCP_OAUTH_TOKEN_URL: `${google.url}/token` },
    });
    openai = new OpenAI({ apiKey: 'client-key', baseURL: `${aigw.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await aigw.stop();
    await google.close();
  });

  async function tokenize(
    body: object,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${aigw.url}/tokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  it('passes /tokenize through to an OpenAI-schema (vLLM) server with its key', async () => {
    const { status, json } = await tokenize({ model: models.vllm, prompt: 'one two three four' });
    expect(status).toBe(200);
    expect(json).toEqual({ count: 4, max_model_len: 8192, tokens: [0, 1, 2, 3] });
    const sent = upstreams.openai.requests.at(-1);
    expect(sent?.url).toBe('/tokenize');
    expect(sent?.headers.authorization).toBe(`Bearer ${keys.openai}`);
  });

  it('counts /tokenize messages on AWS Bedrock with CountTokens (Converse input, signed)', async () => {
    const { status, json } = await tokenize({
      model: models.bedrock,
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'How many tokens is this?' },
      ],
    });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toEqual({ count: 7, max_model_len: 0, tokens: [] });
    const sent = upstreams.bedrock.requests.at(-1);
    // The cross-region prefix (`us.`) is dropped: CountTokens refuses inference profile ids.
    expect(sent?.url).toBe('/model/amazon.nova-lite-v1:0/count-tokens');
    expect(String(sent?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('counts a /tokenize prompt on Vertex AI Gemini with :countTokens', async () => {
    const { status, json } = await tokenize({
      model: models.gemini,
      prompt: 'count these five words',
    });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toEqual({ count: 4, max_model_len: 0, tokens: [] });
    expect(upstreams.vertex.requests.at(-1)?.url).toBe(
      `/v1/projects/${gcp.project}/locations/${gcp.region}/publishers/google/models/${models.gemini}:countTokens`,
    );
  });

  it('refuses /tokenize with a 400 in OpenAI’s dialect: bad body, and a backend without it', async () => {
    const both = await tokenize({ model: models.vllm, prompt: 'a', messages: [] });
    expect(both.status).toBe(400);
    const bothError = both.json.error as { type: string; message: string };
    expect(bothError.type).toBe('invalid_request_error');
    expect(bothError.message).toContain('not both');
    const cohere = await tokenize({ model: models.rerank, prompt: 'hello' });
    expect(cohere.status).toBe(400);
    const cohereError = cohere.json.error as { message: string };
    expect(cohereError.message).toMatch(/\/tokenize is not supported .*schema Cohere/);
  });

  it('counts input tokens with the openai client: passthrough to OpenAI, CountTokens on Bedrock', async () => {
    const passthrough = await openai.responses.inputTokens.count({
      model: models.vllm,
      instructions: 'Be brief.',
      input: 'How many tokens?',
    });
    expect(passthrough).toEqual({ object: 'response.input_tokens', input_tokens: 5 });
    expect(upstreams.openai.requests.at(-1)?.url).toBe('/v1/responses/input_tokens');

    const bedrock = await openai.responses.inputTokens.count({
      model: models.bedrock,
      instructions: 'Be brief.',
      input: [{ role: 'user', content: 'How many tokens?' }],
    });
    expect(bedrock).toEqual({ object: 'response.input_tokens', input_tokens: 5 });
    expect(upstreams.bedrock.requests.at(-1)?.url).toBe(
      '/model/amazon.nova-lite-v1:0/count-tokens',
    );
  });

  it('reranks with the cohere-ai client; usage from meta.tokens reaches the access log', async () => {
    const cohere = new CohereClientV2({
      token: 'client-side-cohere-key',
      baseUrl: `${aigw.url}/cohere`,
      maxRetries: 0,
    });
    const reranked = await cohere.rerank({
      model: models.rerank,
      query: 'capital of France',
      documents: ['Berlin is in Germany.', 'Paris is the capital of France.', 'France'],
      topN: 2,
    });
    expect(reranked.results.map((r) => r.index)).toEqual([1, 2]);
    expect(reranked.meta?.billedUnits?.searchUnits).toBe(1);
    const sent = upstreams.cohere.requests.at(-1);
    expect(sent?.url).toBe('/v2/rerank');
    expect(sent?.headers.authorization).toBe(`Bearer ${keys.cohere}`);
    // 3 query words × 3 documents + 4 + 6 + 1 document words.
    const isRerank = (entry: Record<string, unknown>): boolean =>
      entry.path === '/v2/rerank' && entry.status === 200; // the path sent upstream
    const line = await waitFor(() => aigwAccessLines(aigw.output(), models.rerank).find(isRerank), {
      timeoutMs: 10_000,
      description: 'the access-log line of the rerank',
    });
    expect(line.input_tokens).toBe(20);
  });

  it('answers rerank errors in Cohere’s dialect: the gateway’s 400 and the provider’s own', async () => {
    const cohere = new CohereClientV2({
      token: 'client-side-cohere-key',
      baseUrl: `${aigw.url}/cohere`,
      maxRetries: 0,
    });
    // The provider's own error (Cohere refuses an empty list) passes through to the SDK.
    const empty = await cohere.rerank({ model: models.rerank, query: 'q', documents: [] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(empty).toBeInstanceOf(CohereError);
    expect((empty as CohereError).statusCode).toBe(400);
    expect((empty as CohereError).body).toEqual({
      id: 'fake-error-0001',
      message: 'invalid request: documents must be a non-empty list',
    });
    // The gateway's own 400 (the SDK checks its input first, so a raw request): Cohere's shape.
    const res = await fetch(`${aigw.url}/cohere/v2/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: models.rerank, query: 'q' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      message: 'field "documents" is required and must be an array',
    });
  });
});
