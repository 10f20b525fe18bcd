import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiError,
  FunctionResponse,
  GoogleGenAI,
  type Content,
  type FunctionDeclaration,
  type GenerateContentResponse,
} from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  fakeServiceAccount,
  startFakeGoogle,
  type FakeGoogle,
} from '@aigw/cloud-credentials/testing';
import { useHarness, type FakeUpstream } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import {
  apiKeyObjects,
  backendObjects,
  gcpCredentialObjects,
  modelRouteObject,
} from './support/backend-yaml.js';
import {
  faultyProvider,
  faultyText,
  type FaultyProvider,
} from './support/fake-providers/faulty.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';
import { fakeVertex } from './support/fake-providers/fake-vertex.js';

/**
 * Google's native Gemini API through `aigw run` and a real Envoy, with the official
 * `@google/genai` SDK pointed at the gateway (`httpOptions.baseUrl`, as the Gemini CLI's
 * `GOOGLE_GEMINI_BASE_URL` does): `generateContent`, `generateContentStream` and `countTokens`,
 * a function-call round trip and errors, to Gemini on Vertex AI (passed through) and to an OpenAI
 * backend (translated to chat completions). The model is taken from the path.
 */
const harness = useHarness();
const openAIKey = 'sk-gemini-ingress-0123';
const clientKey = 'AIza-client-side-key';
const gcp = { project: 'gemini-ingress', region: 'us-central1' } as const;
const usage = { input: 9, output: 4 };
const models = {
  vertex: 'gemini-2.5-flash',
  openai: 'gpt-4o-mini',
  faulty: 'gpt-faulty',
  /** Routed to a backend nothing listens on: Envoy answers a 503 itself. */
  down: 'gemini-down',
} as const;

/** The gateway: one route rule per model, a Vertex AI backend and an OpenAI one. */
function gatewayYaml(
  upstreams: { vertex: FakeUpstream; openai: FakeUpstream; faulty: FakeUpstream },
  serviceAccountJson: string,
): string {
  const docs = [
    modelRouteObject('gemini', [
      [models.vertex, 'vertex'],
      [models.openai, 'openai'],
      [models.faulty, 'faulty'],
      [models.down, 'down'],
    ]),
    ...backendObjects('vertex', { name: 'GCPVertexAI' }, upstreams.vertex),
    ...gcpCredentialObjects('vertex', gcp, serviceAccountJson),
    ...backendObjects('openai', { name: 'OpenAI' }, upstreams.openai),
    ...apiKeyObjects('openai', openAIKey),
    ...backendObjects('faulty', { name: 'OpenAI' }, upstreams.faulty),
    ...apiKeyObjects('faulty', openAIKey),
    // Port 1: nothing listens, every connection is refused.
    ...backendObjects('down', { name: 'OpenAI' }, { port: 1 }),
  ];
  return docs.map((doc) => stringify(doc)).join('---\n');
}

const lookup: FunctionDeclaration = {
  name: 'lookup',
  description: 'Looks a word up',
  parametersJsonSchema: {
    type: 'object',
    properties: { query: { type: 'string' } },
    required: ['query'],
  },
};

/** Text of a streamed answer, and its last chunk (finish reason, usage). */
async function collect(
  stream: AsyncGenerator<GenerateContentResponse>,
): Promise<{ text: string; last: GenerateContentResponse | undefined; chunks: number }> {
  let text = '';
  let last: GenerateContentResponse | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    text += chunk.text ?? '';
    last = chunk;
    chunks += 1;
  }
  return { text, last, chunks };
}

/** A function result part's value (the SDK types it as a class instance). */
function functionResponse(fields: {
  id?: string | undefined;
  name: string;
  output: string;
}): FunctionResponse {
  return Object.assign(new FunctionResponse(), {
    ...(fields.id === undefined ? {} : { id: fields.id }),
    name: fields.name,
    response: { output: fields.output },
  });
}

/** The JSON body a fake received last. */
function lastBody(upstream: FakeUpstream): Record<string, unknown> {
  const sent = upstream.requests.at(-1);
  return JSON.parse(sent?.body.toString('utf8') ?? '{}') as Record<string, unknown>;
}

describe('the native Gemini API (@google/genai) through aigw run', () => {
  let google: FakeGoogle;
  let vertex: FakeUpstream;
  let openai: FakeUpstream;
  let faulty: FaultyProvider;
  let aigw: RunningAigw;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    const account = fakeServiceAccount({ project: gcp.project, name: 'gemini-ingress' });
    google = await startFakeGoogle({ serviceAccounts: [account] });
    vertex = await harness.upstream(
      fakeVertex({
        token: (token) => google.issued.isValid(token),
        project: gcp.project,
        region: gcp.region,
        usage,
      }),
      { name: 'fake-vertex' },
    );
    openai = await harness.upstream(
      fakeOpenAI({ apiKey: openAIKey, azureApiKey: 'unused', usage }),
      {
        name: 'fake-openai',
      },
    );
    const file = join(harness.tempDir('gemini-ingress'), 'gateway.yaml');
    faulty = faultyProvider({ wire: 'openai', usage });
    const faultyUpstream = await harness.upstream(faulty.handler, { name: 'faulty-openai' });
    writeFileSync(file, gatewayYaml({ vertex, openai, faulty: faultyUpstream }, account.keyJson));
    aigw = await startAigw({
      args: [file],
      env: { AIGW_GCP_OAUTH_TOKEN_URL: `${google.url}/token` },
    });
    ai = new GoogleGenAI({ apiKey: clientKey, httpOptions: { baseUrl: aigw.url } });
  });

  afterAll(async () => {
    await aigw.stop();
    await google.close();
  });

  describe('to Gemini on Vertex AI (passthrough)', () => {
    it('answers generateContent; Vertex got the body at the path’s model, with OAuth only', async () => {
      const response = await ai.models.generateContent({
        model: models.vertex,
        contents: 'hello vertex',
        config: { systemInstruction: 'Be brief.', temperature: 0.2 },
      });
      expect(response.text).toBe('You said: hello vertex');
      expect(response.candidates?.[0]?.finishReason).toBe('STOP');
      expect(response.usageMetadata).toMatchObject({
        promptTokenCount: usage.input,
        candidatesTokenCount: usage.output,
      });
      const sent = vertex.requests.at(-1);
      expect(sent?.url).toBe(
        `/v1/projects/${gcp.project}/locations/${gcp.region}/publishers/google/models/${models.vertex}:generateContent`,
      );
      expect(sent?.headers.authorization).toMatch(/^Bearer /);
      expect(sent?.headers['x-goog-api-key']).toBeUndefined();
      expect(JSON.stringify(sent?.headers)).not.toContain(clientKey);
      expect(lastBody(vertex)).toMatchObject({
        contents: [{ role: 'user', parts: [{ text: 'hello vertex' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { temperature: 0.2 },
      });
    });

    it('streams generateContentStream as SSE, usage on the last chunk', async () => {
      const { text, last, chunks } = await collect(
        await ai.models.generateContentStream({
          model: models.vertex,
          contents: 'stream from vertex please',
        }),
      );
      expect(text).toBe('You said: stream from vertex please');
      expect(chunks).toBeGreaterThan(1);
      expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
      expect(last?.usageMetadata?.totalTokenCount).toBe(usage.input + usage.output);
      expect(vertex.requests.at(-1)?.url).toMatch(/:streamGenerateContent\?alt=sse$/);
    });

    it('counts tokens with Vertex AI’s countTokens', async () => {
      const counted = await ai.models.countTokens({
        model: models.vertex,
        contents: 'one two three four five',
      });
      expect(counted.totalTokens).toBe(5);
      expect(vertex.requests.at(-1)?.url).toMatch(/models\/gemini-2\.5-flash:countTokens$/);
    });

    it('carries a function call round trip', async () => {
      const tools = [{ functionDeclarations: [lookup] }];
      const first = await ai.models.generateContent({
        model: models.vertex,
        contents: 'define gateway',
        config: { tools },
      });
      const call = first.functionCalls?.[0];
      expect(call).toMatchObject({ name: 'lookup', args: { query: 'define gateway' } });
      if (call === undefined) throw new Error('no function call');
      const history: Content[] = [
        { role: 'user', parts: [{ text: 'define gateway' }] },
        { role: 'model', parts: [{ functionCall: call }] },
        {
          role: 'user',
          parts: [{ functionResponse: functionResponse({ name: 'lookup', output: 'a way in' }) }],
        },
      ];
      const second = await ai.models.generateContent({
        model: models.vertex,
        contents: history,
        config: { tools },
      });
      expect(second.text).toBe('The tool answered: a way in');
    });
  });

  describe('to an OpenAI backend (translated)', () => {
    it('answers generateContent; the provider got chat completions with its own key', async () => {
      const response = await ai.models.generateContent({
        model: models.openai,
        contents: 'hello openai',
        config: { systemInstruction: 'Be brief.', maxOutputTokens: 50, topK: 64 },
      });
      expect(response.text).toBe('You said: hello openai');
      expect(response.candidates?.[0]?.finishReason).toBe('STOP');
      expect(response.usageMetadata).toMatchObject({
        promptTokenCount: usage.input,
        candidatesTokenCount: usage.output,
        totalTokenCount: usage.input + usage.output,
      });
      const sent = openai.requests.at(-1);
      expect(sent?.url).toBe('/v1/chat/completions');
      expect(sent?.headers.authorization).toBe(`Bearer ${openAIKey}`);
      expect(JSON.stringify(sent?.headers)).not.toContain(clientKey);
      expect(lastBody(openai)).toMatchObject({
        model: models.openai,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello openai' },
        ],
        max_completion_tokens: 50,
      });
    });

    it('streams OpenAI chunks back as Gemini SSE chunks', async () => {
      const { text, last, chunks } = await collect(
        await ai.models.generateContentStream({
          model: models.openai,
          contents: 'stream from openai please',
        }),
      );
      expect(text).toBe('You said: stream from openai please');
      expect(chunks).toBeGreaterThan(1);
      expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
      expect(last?.usageMetadata?.totalTokenCount).toBe(usage.input + usage.output);
      expect(lastBody(openai)).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
      });
    });

    it('answers countTokens with the gateway’s local estimate, without calling the provider', async () => {
      const before = openai.requests.length;
      const text = 'one two three four five six seven eight';
      const counted = await ai.models.countTokens({ model: models.openai, contents: text });
      // ceil(UTF-8 bytes / 4) + 4 per content + 3 per request (apps/extproc/src/budget/estimate.ts).
      const role = 'user'.length; // the SDK sends the content's role, which is text too
      expect(counted.totalTokens).toBe(Math.ceil((text.length + role) / 4) + 4 + 3);
      expect(openai.requests.length).toBe(before);
    });

    it('carries a function call round trip, the OpenAI call id as the Gemini call id', async () => {
      const tools = [{ functionDeclarations: [lookup] }];
      const first = await ai.models.generateContent({
        model: models.openai,
        contents: 'define envoy',
        config: { tools },
      });
      const call = first.functionCalls?.[0];
      expect(call).toMatchObject({ name: 'lookup', args: { query: 'define envoy' } });
      expect(call?.id).toBeTruthy();
      if (call === undefined) throw new Error('no function call');
      const history: Content[] = [
        { role: 'user', parts: [{ text: 'define envoy' }] },
        { role: 'model', parts: [{ functionCall: call }] },
        {
          role: 'user',
          parts: [
            {
              functionResponse: functionResponse({
                id: call.id,
                name: 'lookup',
                output: 'a proxy',
              }),
            },
          ],
        },
      ];
      const streamed = await collect(
        await ai.models.generateContentStream({
          model: models.openai,
          contents: history,
          config: { tools },
        }),
      );
      expect(streamed.text).toBe('The tool answered: a proxy');
      const messages = lastBody(openai).messages as Record<string, unknown>[];
      expect(messages.at(-1)).toEqual({ role: 'tool', tool_call_id: call.id, content: 'a proxy' });
    });

    it('refuses what OpenAI cannot do with a 400 in Google’s format', async () => {
      const error = await ai.models
        .generateContent({
          model: models.openai,
          contents: 'hi',
          config: { cachedContent: 'cachedContents/abc' },
        })
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(400);
      expect((error as ApiError).message).toContain('cachedContent is not supported');
    });
  });

  describe('a failing OpenAI stream: the SDK raises, never a clean finish', () => {
    /**
     * What the SDK raises for the bare error line that ends a failed Gemini stream: an `ApiError`
     * with the gateway's message when the line arrives in a read of its own (as it does here: the
     * provider's end comes in a chunk of its own), else the SDK's refusal of a stream that ends in
     * text no `data:` line matched. Either way, never a clean end.
     */
    function expectStreamError(error: unknown, message: string): void {
      expect(error).toBeInstanceOf(Error);
      const text = (error as Error).message;
      if (error instanceof ApiError) expect(text).toContain(message);
      else expect(text).toContain('Incomplete JSON segment');
    }

    /** The text streamed before the SDK raised, and what it raised (undefined: it did not). */
    async function consume(): Promise<{ text: string; error: unknown }> {
      let text = '';
      try {
        const stream = await ai.models.generateContentStream({
          model: models.faulty,
          contents: 'hi',
        });
        for await (const chunk of stream) text += chunk.text ?? '';
      } catch (error) {
        return { text, error };
      }
      return { text, error: undefined };
    }

    it('a stream cut before its finish reason', async () => {
      faulty.push('cut');
      const { text, error } = await consume();
      expectStreamError(error, 'ended before it finished');
      expect(faultyText.complete.startsWith(text)).toBe(true);
    });

    it('a stream whose first event is the provider’s error', async () => {
      faulty.push('error-first');
      const { text, error } = await consume();
      expectStreamError(error, 'upstream overloaded');
      expect(text).toBe('');
    });

    it('a complete stream from the same provider ends cleanly', async () => {
      faulty.push('ok');
      const { text, error } = await consume();
      expect(error).toBeUndefined();
      expect(text).toBe(faultyText.complete);
    });
  });

  describe('errors in Google’s format', () => {
    async function post(path: string, body: object): Promise<{ status: number; json: unknown }> {
      const res = await fetch(`${aigw.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': clientKey },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    }

    it('a model the gateway does not route: 404 the SDK raises as an ApiError', async () => {
      const error = await ai.models
        .generateContent({ model: 'gemini-unknown', contents: 'hi' })
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(404);
      const { status, json } = await post('/v1beta/models/gemini-unknown:generateContent', {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      });
      expect(status).toBe(404);
      expect(json).toEqual({
        error: {
          code: 404,
          message: 'model "gemini-unknown" is not configured in the gateway',
          status: 'NOT_FOUND',
        },
      });
    });

    it('a Gemini method the gateway does not serve: 404 NOT_FOUND', async () => {
      const { status, json } = await post(`/v1beta/models/${models.vertex}:embedContent`, {
        content: { parts: [{ text: 'hi' }] },
      });
      expect(status).toBe(404);
      expect(json).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    });

    it('Envoy’s own reply (no upstream to connect to): 503 in Google’s format', async () => {
      const { status, json } = await post(`/v1beta/models/${models.down}:generateContent`, {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      });
      expect(status).toBe(503);
      expect(json).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });
      expect((json as { error: { message: string } }).error.message).not.toBe('');
    });

    it('a body that is not JSON: 400 INVALID_ARGUMENT', async () => {
      const res = await fetch(`${aigw.url}/v1beta/models/${models.vertex}:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{not json',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 400, status: 'INVALID_ARGUMENT' },
      });
    });
  });
});
