import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Anthropic } from '@anthropic-ai/sdk';
import type {
  MessageParam,
  RawMessageStreamEvent,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';
import { useHarness } from '@aigw/testkit';
import { anthropicToolUseId } from './support/fake-providers/anthropic-wire.js';
import { bedrockToolUseId } from './support/fake-providers/bedrock-wire.js';
import { expectBackendAuth, expectNoSecretIn } from './support/fake-providers/expect-auth.js';
import { openAIToolCallId } from './support/fake-providers/fake-openai.js';
import {
  providerModels,
  startProviderGateway,
  type ProviderBackend,
  type ProviderGateway,
} from './support/fake-providers/provider-gateway.js';

/**
 * The official `@anthropic-ai/sdk` client against `/v1/messages` through real Envoy and the
 * extproc, for every backend of the Anthropic ingress (AWSBedrock by way of Converse), each
 * answered by a fake provider speaking that provider's wire format and checking its credential.
 */

const backends: readonly ProviderBackend[] = [
  'Anthropic',
  'GCPAnthropic',
  'AWSAnthropic',
  'AWSBedrock',
  'OpenAI',
];

/** The tool_use id each backend's fake issues. */
const toolUseIds: Readonly<Partial<Record<ProviderBackend, string>>> = {
  Anthropic: anthropicToolUseId,
  GCPAnthropic: anthropicToolUseId,
  AWSAnthropic: anthropicToolUseId,
  AWSBedrock: bedrockToolUseId,
  OpenAI: openAIToolCallId,
};

const tools: Tool[] = [
  {
    name: 'lookup_weather',
    description: 'Current weather for a place',
    input_schema: {
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
    },
  },
];

const question = 'What is the weather in Lisbon?';
const toolOutput = '19 °C, light breeze';

describe('anthropic SDK → gateway → every Anthropic-ingress backend', () => {
  const harness = useHarness();
  let gateway: ProviderGateway;
  let client: Anthropic;

  beforeAll(async () => {
    gateway = await startProviderGateway(harness);
    client = new Anthropic({
      apiKey: 'client-own-key',
      baseURL: gateway.url,
      maxRetries: 0,
      timeout: 20_000,
    });
  });

  afterAll(async () => {
    await gateway.stop();
  });

  describe.each(backends.map((backend) => providerModels[backend]))(
    '$backend',
    ({ backend, model, usage }) => {
      const lastRequest = () => gateway.upstreamOf(backend).requests.at(-1);
      const expectedUsage = { input_tokens: usage.input, output_tokens: usage.output };

      it('answers a message with content, stop reason and usage', async () => {
        const message = await client.messages.create({
          model,
          max_tokens: 256,
          messages: [{ role: 'user', content: `Hello ${backend} from the anthropic SDK` }],
        });
        expect(message.role).toBe('assistant');
        expect(message.content).toEqual([
          expect.objectContaining({
            type: 'text',
            text: `You said: Hello ${backend} from the anthropic SDK`,
          }),
        ]);
        expect(message.stop_reason).toBe('end_turn');
        expect(message.usage).toMatchObject(expectedUsage);
        expectBackendAuth(backend, lastRequest());
        // Anthropic's version header means nothing to OpenAI or Converse: the gateway drops it.
        const version = lastRequest()?.headers['anthropic-version'];
        if (backend === 'OpenAI' || backend === 'AWSBedrock') expect(version).toBeUndefined();
        else expect(version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      });

      it('streams a message: the event sequence, text deltas, stop reason and usage', async () => {
        const stream = client.messages.stream({
          model,
          max_tokens: 256,
          messages: [{ role: 'user', content: `Stream from ${backend}, ünïcödé 🌍 included` }],
        });
        const types: RawMessageStreamEvent['type'][] = [];
        let text = '';
        for await (const event of stream) {
          types.push(event.type);
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
            text += event.delta.text;
          }
        }
        const final = await stream.finalMessage();
        expect(text).toBe(`You said: Stream from ${backend}, ünïcödé 🌍 included`);
        expect(types[0]).toBe('message_start');
        expect(types.at(-1)).toBe('message_stop');
        expect(types).toContain('content_block_start');
        expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(1);
        expect(types).toContain('content_block_stop');
        expect(types).toContain('message_delta');
        expect(final.content).toEqual([expect.objectContaining({ type: 'text', text })]);
        expect(final.stop_reason).toBe('end_turn');
        expect(final.usage).toMatchObject(expectedUsage);
        expectBackendAuth(backend, lastRequest());
      });

      it.each([{ stream: false }, { stream: true }])(
        'round-trips a tool call (stream: $stream)',
        async ({ stream }) => {
          const send = async (messages: MessageParam[]) =>
            stream
              ? client.messages.stream({ model, max_tokens: 256, messages, tools }).finalMessage()
              : client.messages.create({ model, max_tokens: 256, messages, tools });
          const messages: MessageParam[] = [{ role: 'user', content: question }];
          const first = await send(messages);
          expect(first.stop_reason).toBe('tool_use');
          expect(first.usage).toMatchObject(expectedUsage);
          const toolUse = first.content.find((block) => block.type === 'tool_use');
          expect(first.content.filter((block) => block.type === 'tool_use')).toHaveLength(1);
          if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
          expect(toolUse.id).toBe(toolUseIds[backend]);
          expect(toolUse.name).toBe('lookup_weather');
          expect(toolUse.input).toEqual({ query: question });
          expectBackendAuth(backend, lastRequest());

          messages.push(
            { role: 'assistant', content: first.content },
            {
              role: 'user',
              content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: toolOutput }],
            },
          );
          const second = await send(messages);
          expect(second.content).toEqual([
            expect.objectContaining({ type: 'text', text: `The tool answered: ${toolOutput}` }),
          ]);
          expect(second.stop_reason).toBe('end_turn');
          expect(second.usage).toMatchObject(expectedUsage);
          expectBackendAuth(backend, lastRequest());
        },
      );
    },
  );

  it('never writes a backend credential to any log (extproc, Envoy, access log, fakes)', () => {
    expect(gateway.extproc.logs()).toContain('config loaded');
    expectNoSecretIn(gateway.allLogs());
  });
});
