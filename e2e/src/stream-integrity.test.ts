import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type FakeUpstream, type RecordedRequest } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';

/**
 * Stream integrity after the first token (issue 7/10): a provider stream that breaks after some
 * text must reach the client as an error, never as a stream that looks finished. Each fault is
 * chosen by the request's model. Providers: one speaking OpenAI's SSE (models `<fault>`), one
 * speaking Anthropic's (models `claude-<fault>`). Clients: the official `openai` client and
 * `@anthropic-ai/sdk`, each passed through or translated.
 */
const harness = useHarness();
const apiKey = 'sk-integrity-0123456789';

/** `stall`: the text, then nothing (the connection stays open) past the rule's idle timeout. */
type Fault = 'cut-clean' | 'cut-reset' | 'error-event' | 'stall' | 'complete';
const faults: readonly Fault[] = ['cut-clean', 'cut-reset', 'error-event', 'stall', 'complete'];
/** The `streamIdleTimeout` of the `stall` rules. */
const idleTimeout = '1s';
type Provider = 'openai' | 'anthropic';
const providers: readonly Provider[] = ['openai', 'anthropic'];
/** The model that picks `fault` on `provider`. */
const modelFor = (provider: Provider, fault: Fault): string =>
  provider === 'openai' ? fault : `claude-${fault}`;
/** What the gateway tells a client whose provider stream ended before its terminal event. */
const truncatedMessage = "the provider's stream ended before it finished";
const overloadedMessage = 'upstream overloaded mid-stream';

function chunk(
  { id, model }: { id: string; model: string },
  delta: object,
  finish: string | null = null,
): string {
  const body = {
    id,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** Ends `res` as `fault` says once the text is out (the shared part of both providers). */
function breakStream(res: ServerResponse, fault: 'cut-clean' | 'cut-reset' | 'stall'): void {
  // Nothing more, the connection open: Envoy's per-try idle timeout ends it.
  if (fault === 'stall') return;
  if (fault === 'cut-clean') {
    // The body ends properly (chunked terminator) but before the provider's terminal event.
    res.end();
    return;
  }
  // Reset once the text is on the wire (destroy() would drop unflushed writes).
  res.write('', () => setTimeout(() => res.socket?.resetAndDestroy(), 50));
}

/** An OpenAI-speaking provider whose streams break as the model name says. */
function faultyOpenAI(req: RecordedRequest, res: ServerResponse): void {
  const body = JSON.parse(req.body.toString('utf8') || '{}') as { model?: string };
  const model = body.model ?? '';
  const fault = faults.find((f) => model === f) ?? 'complete';
  const id = `chatcmpl-${fault}`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk({ id, model }, { role: 'assistant', content: '' }));
  res.write(chunk({ id, model }, { content: 'Hello' }));
  res.write(chunk({ id, model }, { content: ' world' }));
  switch (fault) {
    case 'cut-clean': // no finish_reason, usage or [DONE]
    case 'cut-reset':
    case 'stall':
      breakStream(res, fault);
      return;
    case 'error-event':
      res.end(
        `data: ${JSON.stringify({ error: { message: overloadedMessage, type: 'server_error', code: null } })}\n\n`,
      );
      return;
    case 'complete':
      res.write(chunk({ id, model }, {}, 'stop'));
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
  }
}

/** One Anthropic SSE event. */
function event(value: { type: string } & Record<string, unknown>): string {
  return `event: ${value.type}\ndata: ${JSON.stringify(value)}\n\n`;
}

/** An Anthropic-speaking provider whose streams break as the model name (`claude-<fault>`) says. */
function faultyAnthropic(req: RecordedRequest, res: ServerResponse): void {
  const body = JSON.parse(req.body.toString('utf8') || '{}') as { model?: string };
  const model = body.model ?? '';
  const fault = faults.find((f) => model === `claude-${f}`) ?? 'complete';
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const message = {
    id: `msg_${fault}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 4, output_tokens: 1 },
  };
  res.write(event({ type: 'message_start', message }));
  res.write(
    event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  );
  for (const text of ['Hello', ' world']) {
    res.write(
      event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    );
  }
  switch (fault) {
    case 'cut-clean': // no content_block_stop, message_delta or message_stop
    case 'cut-reset':
    case 'stall':
      breakStream(res, fault);
      return;
    case 'error-event':
      res.end(
        event({ type: 'error', error: { type: 'overloaded_error', message: overloadedMessage } }),
      );
      return;
    case 'complete':
      res.write(event({ type: 'content_block_stop', index: 0 }));
      res.write(
        event({
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 2 },
        }),
      );
      res.end(event({ type: 'message_stop' }));
  }
}

/** An AIServiceBackend with its Backend, key policy and Secret. */
function backend(options: { name: string; schema: 'OpenAI' | 'Anthropic'; port: number }): string {
  return aiBackendYaml({ ...options, key: apiKey });
}

describe('a provider stream broken after the first token reaches the client as an error', () => {
  let aigw: RunningAigw;
  let openaiProvider: FakeUpstream;
  let anthropicProvider: FakeUpstream;

  beforeAll(async () => {
    openaiProvider = await harness.upstream(faultyOpenAI, { name: 'faulty-openai' });
    anthropicProvider = await harness.upstream(faultyAnthropic, { name: 'faulty-anthropic' });
    const rules = providers.flatMap((provider) =>
      faults.map(
        (
          f,
        ) => `    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: ${modelFor(provider, f)}}]}]
      backendRefs: [{name: faulty-${provider}}]${f === 'stall' ? `\n      streamIdleTimeout: ${idleTimeout}` : ''}`,
      ),
    );
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: integrity}
spec:
  rules:
${rules.join('\n')}`,
      backend({ name: 'faulty-openai', schema: 'OpenAI', port: openaiProvider.port }),
      backend({ name: 'faulty-anthropic', schema: 'Anthropic', port: anthropicProvider.port }),
    ].join('\n---');
    const file = join(harness.tempDir('stream-integrity'), 'gateway.yaml');
    writeFileSync(file, yaml);
    aigw = await startAigw({ args: [file] });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  /** Text received and how the openai client's stream ended. */
  async function openaiStream(model: string): Promise<{ text: string; error?: unknown }> {
    const client = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'client', maxRetries: 0 });
    let text = '';
    try {
      const stream = await client.chat.completions.create({
        model,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
      return { text };
    } catch (error) {
      return { text, error };
    }
  }

  async function anthropicStream(model: string): Promise<{ text: string; error?: unknown }> {
    const client = new Anthropic({ baseURL: aigw.url, apiKey: 'client', maxRetries: 0 });
    let text = '';
    try {
      const stream = client.messages.stream({
        model,
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
      });
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          text += event.delta.text;
        }
      }
      await stream.finalMessage();
      return { text };
    } catch (error) {
      return { text, error };
    }
  }

  /** The openai client's error for an error frame: an APIError carrying the frame's fields. */
  function expectOpenAIError(
    error: unknown,
    expected: { message: string; code?: string; type: string },
  ): void {
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.message).toContain(expected.message);
    expect(apiError.type).toBe(expected.type);
    if (expected.code !== undefined) expect(apiError.code).toBe(expected.code);
  }

  /** The anthropic client's error for an `event: error`: an APIError with its type and message. */
  function expectAnthropicError(error: unknown, expected: { message: string; type: string }): void {
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.type).toBe(expected.type);
    expect(apiError.apiMessage).toContain(expected.message);
  }

  describe.each(providers)('provider speaking %s', (provider) => {
    const model = (fault: Fault): string => modelFor(provider, fault);

    it('a complete stream ends cleanly (the control)', async () => {
      expect(await openaiStream(model('complete'))).toEqual({ text: 'Hello world' });
      expect(await anthropicStream(model('complete'))).toEqual({ text: 'Hello world' });
    });

    it('cut-clean: the openai client raises an APIError (stream_truncated) after the text it got', async () => {
      const { text, error } = await openaiStream(model('cut-clean'));
      expect(text).toBe('Hello world');
      expectOpenAIError(error, {
        message: truncatedMessage,
        type: 'server_error',
        code: 'stream_truncated',
      });
    });

    it('cut-clean: the anthropic client raises an APIError (api_error) after the text it got', async () => {
      const { text, error } = await anthropicStream(model('cut-clean'));
      expect(text).toBe('Hello world');
      expectAnthropicError(error, { message: truncatedMessage, type: 'api_error' });
    });

    it('cut-reset: the openai client raises after the text it got', async () => {
      const { text, error } = await openaiStream(model('cut-reset'));
      expect(text).toBe('Hello world');
      expect(error, 'the stream ended as if finished').toBeInstanceOf(Error);
    });

    it('cut-reset: the anthropic client raises after the text it got', async () => {
      const { text, error } = await anthropicStream(model('cut-reset'));
      expect(text).toBe('Hello world');
      expect(error, 'the stream ended as if finished').toBeInstanceOf(Error);
    });

    it(`stall: past the rule's streamIdleTimeout (${idleTimeout}) the openai client raises after the text it got`, async () => {
      const { text, error } = await openaiStream(model('stall'));
      expect(text).toBe('Hello world');
      expect(error, 'the stream ended as if finished').toBeInstanceOf(Error);
    });

    it(`stall: past the rule's streamIdleTimeout (${idleTimeout}) the anthropic client raises after the text it got`, async () => {
      const { text, error } = await anthropicStream(model('stall'));
      expect(text).toBe('Hello world');
      expect(error, 'the stream ended as if finished').toBeInstanceOf(Error);
    });

    it("error-event: the openai client raises the provider's error after the text it got", async () => {
      const { text, error } = await openaiStream(model('error-event'));
      expect(text).toBe('Hello world');
      // Anthropic's overloaded_error becomes OpenAI's server_error.
      expectOpenAIError(error, { message: overloadedMessage, type: 'server_error' });
    });

    it("error-event: the anthropic client raises the provider's error after the text it got", async () => {
      const { text, error } = await anthropicStream(model('error-event'));
      expect(text).toBe('Hello world');
      expectAnthropicError(error, {
        message: overloadedMessage,
        type: provider === 'anthropic' ? 'overloaded_error' : 'api_error',
      });
    });
  });
});
