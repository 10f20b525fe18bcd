import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAI } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { Completion } from 'openai/resources/completions';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { useHarness, waitFor, type FakeUpstream, type RecordedRequest } from '@aigw/testkit';
import { anthropicToolUseId } from './support/fake-providers/anthropic-wire.js';
import { bedrockToolUseId } from './support/fake-providers/bedrock-wire.js';
import { embeddingOf } from './support/fake-providers/conversation.js';
import { expectBackendAuth, expectNoSecretIn } from './support/fake-providers/expect-auth.js';
import { openAIToolCallId } from './support/fake-providers/fake-openai.js';
import {
  backendName,
  embeddingModels,
  providerSecrets,
  providerModels,
  startProviderGateway,
  type ProviderBackend,
  type ProviderGateway,
} from './support/fake-providers/provider-gateway.js';

/**
 * The official `openai` client against `/v1/chat/completions` (and `/v1/embeddings`, and
 * `/v1/completions` for the OpenAI and Azure OpenAI backends) through real Envoy and the extproc,
 * for every backend schema of the OpenAI ingress, each answered by a fake provider speaking that
 * provider's wire format and checking its credential.
 */

/** The tool call id each provider's fake issues (Gemini has none: the gateway makes one up). */
const toolCallIds: Readonly<Record<ProviderBackend, string | undefined>> = {
  OpenAI: openAIToolCallId,
  AzureOpenAI: openAIToolCallId,
  AWSBedrock: bedrockToolUseId,
  GCPVertexAI: undefined,
  Anthropic: anthropicToolUseId,
  GCPAnthropic: anthropicToolUseId,
  AWSAnthropic: anthropicToolUseId,
};

const tools: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'lookup_weather',
      description: 'Current weather for a place',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string' } },
        required: ['query'],
      },
    },
  },
];

const question = 'What is the weather in Paris?';
const toolOutput = '22 °C and sunny';

interface StreamedTurn {
  text: string;
  finishReason: string | null;
  usage: ChatCompletionChunk['usage'];
  toolCalls: { id: string; name: string; arguments: string }[];
  chunks: number;
}

type ToolCallDelta = NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number];

/** Joins one tool call delta into the calls so far (id and name come once, arguments in parts). */
function addToolCallDelta(calls: StreamedTurn['toolCalls'], delta: ToolCallDelta): void {
  const call = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
  call.id ||= delta.id ?? '';
  call.name ||= delta.function?.name ?? '';
  call.arguments += delta.function?.arguments ?? '';
}

/** Folds streamed chunks the way an application would: text, tool call deltas, finish, usage. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<StreamedTurn> {
  const turn: StreamedTurn = {
    text: '',
    finishReason: null,
    usage: undefined,
    toolCalls: [],
    chunks: 0,
  };
  for await (const chunk of stream) {
    turn.chunks += 1;
    if (chunk.usage) turn.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    turn.text += choice.delta.content ?? '';
    turn.finishReason = choice.finish_reason ?? turn.finishReason;
    for (const delta of choice.delta.tool_calls ?? []) addToolCallDelta(turn.toolCalls, delta);
  }
  return turn;
}

describe('openai SDK → gateway → every backend schema', () => {
  const harness = useHarness();
  let gateway: ProviderGateway;
  let client: OpenAI;

  beforeAll(async () => {
    gateway = await startProviderGateway(harness);
    client = new OpenAI({
      apiKey: 'client-own-key',
      baseURL: `${gateway.url}/v1`,
      maxRetries: 0,
      timeout: 20_000,
    });
  });

  afterAll(async () => {
    await gateway.stop();
  });

  describe.each(Object.values(providerModels))('$backend', ({ backend, model, usage }) => {
    const lastRequest = () => gateway.upstreamOf(backend).requests.at(-1);
    const expectedUsage = {
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.output,
    };
    const expectToolCallId = (id: string): void => {
      const expected = toolCallIds[backend];
      if (expected === undefined) expect(id).toMatch(/\S{6,}/);
      else expect(id).toBe(expected);
    };

    it('answers a chat completion with content, finish reason and usage', async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: `Hello ${backend} from the openai SDK` }],
      });
      const choice = completion.choices[0];
      expect(choice?.message.role).toBe('assistant');
      expect(choice?.message.content).toBe(`You said: Hello ${backend} from the openai SDK`);
      expect(choice?.finish_reason).toBe('stop');
      expect(completion.usage).toMatchObject(expectedUsage);
      expectBackendAuth(backend, lastRequest());
      // Anthropic needs a version header an OpenAI client never sends: the gateway adds it.
      const version = lastRequest()?.headers['anthropic-version'];
      expect(version).toBe(backend === 'Anthropic' ? '2023-06-01' : undefined);
    });

    it('streams a chat completion with content, finish reason and usage', async () => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: `Stream to ${backend}, ünïcödé 🌍 included` }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const turn = await collect(stream);
      expect(turn.text).toBe(`You said: Stream to ${backend}, ünïcödé 🌍 included`);
      expect(turn.chunks).toBeGreaterThan(2);
      expect(turn.finishReason).toBe('stop');
      expect(turn.usage).toMatchObject(expectedUsage);
      expect(turn.toolCalls).toEqual([]);
      expectBackendAuth(backend, lastRequest());
    });

    it('round-trips a tool call: the model asks, the client answers, the model uses it', async () => {
      const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
      const first = await client.chat.completions.create({ model, messages, tools });
      const asked = first.choices[0];
      expect(asked?.finish_reason).toBe('tool_calls');
      expect(first.usage).toMatchObject(expectedUsage);
      const call = asked?.message.tool_calls?.[0];
      expect(asked?.message.tool_calls).toHaveLength(1);
      if (call?.type !== 'function') throw new Error('expected a function tool call');
      expectToolCallId(call.id);
      expect(call.function.name).toBe('lookup_weather');
      expect(JSON.parse(call.function.arguments)).toEqual({ query: question });
      expectBackendAuth(backend, lastRequest());

      messages.push(asked!.message, { role: 'tool', tool_call_id: call.id, content: toolOutput });
      const second = await client.chat.completions.create({ model, messages, tools });
      expect(second.choices[0]?.message.content).toBe(`The tool answered: ${toolOutput}`);
      expect(second.choices[0]?.finish_reason).toBe('stop');
      expect(second.usage).toMatchObject(expectedUsage);
    });

    it('round-trips a tool call while streaming', async () => {
      const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
      const first = await collect(
        await client.chat.completions.create({
          model,
          messages,
          tools,
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(first.finishReason).toBe('tool_calls');
      expect(first.usage).toMatchObject(expectedUsage);
      expect(first.toolCalls).toHaveLength(1);
      const call = first.toolCalls[0]!;
      expectToolCallId(call.id);
      expect(call.name).toBe('lookup_weather');
      expect(JSON.parse(call.arguments)).toEqual({ query: question });

      messages.push(
        {
          role: 'assistant',
          content: first.text || null,
          tool_calls: [
            {
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            },
          ],
        },
        { role: 'tool', tool_call_id: call.id, content: toolOutput },
      );
      const second = await collect(
        await client.chat.completions.create({ model, messages, tools, stream: true }),
      );
      expect(second.text).toBe(`The tool answered: ${toolOutput}`);
      expect(second.finishReason).toBe('stop');
      // The client did not ask for usage: the gateway must not show it the chunk it needed.
      expect(second.usage ?? undefined).toBeUndefined();
      expectBackendAuth(backend, lastRequest());
    });
  });

  describe.each(Object.entries(embeddingModels) as [ProviderBackend, string][])(
    'embeddings via %s',
    (backend, model) => {
      it('returns the vector and usage the provider computed', async () => {
        const input = 'embed these four words';
        const result = await client.embeddings.create({ model, input });
        expect(result.data).toHaveLength(1);
        const vector = result.data[0]?.embedding ?? [];
        const expected = embeddingOf(input);
        expect(vector).toHaveLength(expected.length);
        expected.forEach((value, i) => {
          expect(vector[i]).toBeCloseTo(value, 5);
        });
        expect(result.usage.prompt_tokens).toBe(4);
        expectBackendAuth(backend, gateway.upstreamOf(backend).requests.at(-1));
      });
    },
  );

  describe.each(['OpenAI', 'AzureOpenAI'] as const)('legacy completions via %s', (backend) => {
    const { model, usage } = providerModels[backend];
    const expectedUsage = {
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.output,
    };
    const upstreamPath =
      backend === 'OpenAI'
        ? '/v1/completions'
        : `/openai/deployments/${model}/completions?api-version=2024-10-21`;
    const lastRequest = (): RecordedRequest | undefined =>
      gateway.upstreamOf(backend).requests.at(-1);

    /** Folds streamed completion chunks: text, last finish reason, usage, chunk count. */
    async function collectText(stream: AsyncIterable<Completion>): Promise<{
      text: string;
      finishReason: string | null;
      usage: Completion['usage'];
      chunks: number;
    }> {
      const turn = {
        text: '',
        finishReason: null as string | null,
        usage: undefined as Completion['usage'],
        chunks: 0,
      };
      for await (const chunk of stream) {
        turn.chunks += 1;
        if (chunk.usage) turn.usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        turn.text += choice.text;
        // Typed as always set, but streamed chunks carry `null` until the last choice chunk.
        const finish = choice.finish_reason as string | null;
        if (finish !== null) turn.finishReason = finish;
      }
      return turn;
    }

    it('answers a completion with text, finish reason and usage', async () => {
      const prompt = `Complete this for ${backend}, ünïcödé 🌍`;
      const result = await client.completions.create({ model, prompt });
      expect(result.object).toBe('text_completion');
      expect(result.choices).toHaveLength(1);
      expect(result.choices[0]?.text).toBe(`You said: ${prompt}`);
      expect(result.choices[0]?.finish_reason).toBe('stop');
      expect(result.usage).toMatchObject(expectedUsage);
      const sent = lastRequest();
      expect(sent?.url).toBe(upstreamPath);
      expect(JSON.parse(sent?.body.toString('utf8') ?? '{}')).toMatchObject({ model, prompt });
      expectBackendAuth(backend, sent);
    });

    it('reports a length stop when max_tokens cuts the text', async () => {
      const result = await client.completions.create({
        model,
        prompt: 'one two three four',
        max_tokens: 3,
      });
      expect(result.choices[0]?.text).toBe('You said: one');
      expect(result.choices[0]?.finish_reason).toBe('length');
      expect(result.usage).toMatchObject({
        prompt_tokens: usage.input,
        completion_tokens: 3,
        total_tokens: usage.input + 3,
      });
    });

    it('streams a completion; usage reaches the client only when it asks', async () => {
      const prompt = `Stream a completion from ${backend}, ünïcödé 🌍`;
      const plain = await collectText(
        await client.completions.create({ model, prompt, stream: true }),
      );
      expect(plain.text).toBe(`You said: ${prompt}`);
      expect(plain.chunks).toBeGreaterThan(2);
      expect(plain.finishReason).toBe('stop');
      // The gateway asked upstream for usage on the client's behalf, and hid that chunk.
      expect(plain.usage).toBeUndefined();
      const sent = JSON.parse(lastRequest()?.body.toString('utf8') ?? '{}') as unknown;
      expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(lastRequest()?.url).toBe(upstreamPath);
      expectBackendAuth(backend, lastRequest());

      const counted = await collectText(
        await client.completions.create({
          model,
          prompt,
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(counted.text).toBe(`You said: ${prompt}`);
      expect(counted.finishReason).toBe('stop');
      expect(counted.usage).toMatchObject(expectedUsage);
    });
  });

  describe('the fakes refuse what the real providers refuse', () => {
    /**
     * Replays a request the gateway sent, with changes, straight to the fake: node:http, because
     * fetch would replace the `host` header the signature covers.
     */
    async function replay(
      upstream: FakeUpstream,
      sent: RecordedRequest,
      change: { headers?: Record<string, string | undefined>; body?: string },
    ): Promise<{ status: number; headers: IncomingHttpHeaders; json: unknown }> {
      const body = change.body === undefined ? sent.body : Buffer.from(change.body);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries({ ...sent.headers, ...change.headers })) {
        if (typeof value === 'string' && name !== 'connection') headers[name] = value;
      }
      headers['content-length'] = String(body.byteLength);
      const options = { host: upstream.host, port: upstream.port, path: sent.url };
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpRequest({ ...options, method: 'POST', headers }, resolve);
        req.on('error', reject);
        req.end(body);
      });
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      return {
        status: response.statusCode ?? 0,
        headers: response.headers,
        json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      };
    }

    it('Bedrock: a body changed after signing fails SigV4 verification (403)', async () => {
      const sent = gateway.upstreams.bedrock.requests.find((r) => r.url.endsWith('/converse'));
      if (!sent) throw new Error('no Converse request recorded');
      const sameAgain = await replay(gateway.upstreams.bedrock, sent, {});
      expect(sameAgain.status).toBe(200);
      const changed = sent.body.toString('utf8').replace('Hello', 'Howdy');
      // The payload hash header no longer matches the body…
      const tampered = await replay(gateway.upstreams.bedrock, sent, { body: changed });
      expect(tampered.status).toBe(403);
      expect(tampered.headers['x-amzn-errortype']).toMatch(/^InvalidSignatureException:/);
      expect((tampered.json as { message: string }).message).toMatch(/x-amz-content-sha256/);
      // …and with a matching hash the signature (which covers the hash) does not.
      const rehashed = await replay(gateway.upstreams.bedrock, sent, {
        body: changed,
        headers: { 'x-amz-content-sha256': createHash('sha256').update(changed).digest('hex') },
      });
      expect(rehashed.status).toBe(403);
      expect(rehashed.headers['x-amzn-errortype']).toMatch(/^InvalidSignatureException:/);
      expect(Object.keys(rehashed.json as object)).toEqual(['message']);
      expect((rehashed.json as { message: string }).message).toMatch(/signature we calculated/);
      const unsigned = await replay(gateway.upstreams.bedrock, sent, {
        headers: { authorization: undefined },
      });
      expect(unsigned.status).toBe(403);
      expect(unsigned.headers['x-amzn-errortype']).toMatch(/^MissingAuthenticationToken/);
    });

    it('Vertex: no bearer token → 401 UNAUTHENTICATED', async () => {
      const sent = gateway.upstreams.vertex.requests.at(-1)!;
      const result = await replay(gateway.upstreams.vertex, sent, {
        headers: { authorization: 'Bearer wrong' },
      });
      expect(result.status).toBe(401);
      expect(result.json).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    });

    it('Anthropic: a wrong key → 401, no anthropic-version → 400', async () => {
      const sent = gateway.upstreams.anthropic.requests.at(-1)!;
      const wrongKey = await replay(gateway.upstreams.anthropic, sent, {
        headers: { 'x-api-key': 'sk-wrong' },
      });
      expect(wrongKey.status).toBe(401);
      expect(wrongKey.json).toMatchObject({
        type: 'error',
        error: { type: 'authentication_error' },
      });
      const noVersion = await replay(gateway.upstreams.anthropic, sent, {
        headers: { 'anthropic-version': undefined },
      });
      expect(noVersion.status).toBe(400);
      expect(noVersion.json).toMatchObject({ error: { type: 'invalid_request_error' } });
    });
  });

  it('rotates AWS keys by rewriting the credentials file; a refused signature reaches the client as a 403', async () => {
    const file = join(gateway.extproc.configPath, '..', 'aws-credentials');
    const original = readFileSync(file, 'utf8');
    /** One Bedrock chat through the gateway: its status and the client-facing error message. */
    const ask = async (): Promise<{ status: number; message: string }> => {
      try {
        await client.chat.completions.create({
          model: providerModels.AWSBedrock.model,
          messages: [{ role: 'user', content: 'hi' }],
        });
        return { status: 200, message: '' };
      } catch (err) {
        if (!(err instanceof OpenAI.APIError)) throw err;
        return { status: Number(err.status), message: err.message };
      }
    };
    try {
      writeFileSync(
        file,
        original.replace(providerSecrets.awsSecretAccessKey, 'rotated-wrong-secret'),
      );
      const refused = await waitFor(
        async () => {
          const result = await ask();
          return result.status === 403 ? result : undefined;
        },
        { timeoutMs: 10_000, description: 'the wrong AWS secret to be in force' },
      );
      expect(refused.message).toMatch(/signature we calculated does not match/);
    } finally {
      writeFileSync(file, original);
    }
    await waitFor(async () => (await ask()).status === 200, {
      timeoutMs: 10_000,
      description: 'the restored AWS secret to be in force',
    });
  });

  it('counts the tokens of every backend into dynamic metadata (access log)', async () => {
    const lines = await waitFor(
      () => {
        const all = gateway.accessLog();
        return all.length >= Object.keys(providerModels).length * 6 ? all : undefined;
      },
      { timeoutMs: 10_000, description: 'the access log lines' },
    );
    for (const { backend, usage } of Object.values(providerModels)) {
      const ok = lines.filter((l) => l.backend === backendName(backend) && l.status === 200);
      expect(ok.length, backend).toBeGreaterThanOrEqual(6);
      expect(
        ok.some(
          (l) =>
            l.input === usage.input &&
            l.output === usage.output &&
            l.total === usage.input + usage.output,
        ),
        `${backend} usage in the access log`,
      ).toBe(true);
    }
  });

  it('never writes a backend credential to any log (extproc, Envoy, access log, fakes)', () => {
    expect(gateway.extproc.logs()).toContain('config loaded');
    expectNoSecretIn(gateway.allLogs());
  });
});
