import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Anthropic } from '@anthropic-ai/sdk';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { useHarness } from '@aigw/testkit';
import { expectBackendAuth, expectNoSecretIn } from './support/fake-providers/expect-auth.js';
import {
  providerModels,
  startProviderGateway,
  type ProviderBackend,
  type ProviderGateway,
} from './support/fake-providers/provider-gateway.js';

/**
 * `@anthropic-ai/sdk`'s `messages.countTokens` through real Envoy and the extproc, to every
 * backend that counts Claude tokens: Anthropic (`/v1/messages/count_tokens`), Claude on Vertex AI
 * (`count-tokens:rawPredict`) and Bedrock's CountTokens (AWS Anthropic and AWS Bedrock backends).
 * Each fake counts one token per word of the system prompt and messages plus 10 per tool, so the
 * count proves the whole body arrived in the provider's shape.
 */

const backends: readonly ProviderBackend[] = [
  'Anthropic',
  'GCPAnthropic',
  'AWSAnthropic',
  'AWSBedrock',
];

const params = (model: string): MessageCountTokensParams => ({
  model,
  system: 'You answer in one short sentence.',
  messages: [
    { role: 'user', content: 'How many tokens are in this question?' },
    { role: 'assistant', content: [{ type: 'text', text: 'Let me count them.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Go on then.' }] },
  ],
  tools: [
    {
      name: 'lookup_weather',
      description: 'Current weather for a place',
      input_schema: { type: 'object', properties: { query: { type: 'string' } } },
    },
  ],
});
// 6 (system) + 7 + 4 + 3 (messages) + 10 (one tool).
const expectedCount = 30;

/** The path each backend's fake must have been called on. */
const upstreamPaths: Readonly<Partial<Record<ProviderBackend, RegExp>>> = {
  Anthropic: /^\/v1\/messages\/count_tokens$/,
  GCPAnthropic:
    /^\/v1\/projects\/fake-project\/locations\/us-east5\/publishers\/anthropic\/models\/count-tokens:rawPredict$/,
  AWSAnthropic: /^\/model\/anthropic\.claude-3-5-haiku-20241022-v1%3A0\/count-tokens$/,
  AWSBedrock: /^\/model\/amazon\.nova-pro-v1%3A0\/count-tokens$/,
};

describe('anthropic SDK messages.countTokens → gateway → every backend that counts tokens', () => {
  const harness = useHarness();
  let gateway: ProviderGateway;
  const clientAt = (baseURL: string): Anthropic =>
    new Anthropic({ apiKey: 'client-own-key', baseURL, maxRetries: 0, timeout: 20_000 });

  beforeAll(async () => {
    gateway = await startProviderGateway(harness);
  });

  afterAll(async () => {
    await gateway.stop();
  });

  describe.each(backends.map((backend) => providerModels[backend]))(
    '$backend',
    ({ backend, model }) => {
      const lastRequest = () => gateway.upstreamOf(backend).requests.at(-1);

      it.each([
        { prefix: '/anthropic', label: 'under the anthropic prefix' },
        { prefix: '', label: 'under the openai prefix' },
      ])('counts the input tokens $label', async ({ prefix }) => {
        const result = await clientAt(gateway.url + prefix).messages.countTokens(params(model));
        expect(result).toEqual({ input_tokens: expectedCount });
        const upstream = lastRequest();
        expectBackendAuth(backend, upstream);
        expect(upstream?.url).toMatch(upstreamPaths[backend] ?? /^$/);
      });

      it('carries the anthropic-beta header where the provider reads it', async () => {
        const beta = 'token-counting-2024-11-01';
        await clientAt(gateway.url).messages.countTokens(params(model), {
          headers: { 'anthropic-beta': beta },
        });
        const upstream = lastRequest();
        if (backend === 'Anthropic' || backend === 'GCPAnthropic') {
          expect(upstream?.headers['anthropic-beta']).toBe(beta);
        }
        if (backend === 'GCPAnthropic') {
          const body = JSON.parse(upstream?.body.toString('utf8') ?? '{}') as Record<
            string,
            unknown
          >;
          expect(body.anthropic_beta).toEqual([beta]);
          expect(body.model).toBe('claude-3-5-haiku@20241022');
        }
        if (backend === 'AWSAnthropic' || backend === 'AWSBedrock') {
          const body = JSON.parse(upstream?.body.toString('utf8') ?? '{}') as {
            input: { invokeModel: { body: string } };
          };
          const invoke = JSON.parse(
            Buffer.from(body.input.invokeModel.body, 'base64').toString('utf8'),
          ) as Record<string, unknown>;
          expect(invoke.anthropic_beta).toEqual([beta]);
          expect(invoke.anthropic_version).toBe('bedrock-2023-05-31');
        }
      });
    },
  );

  it('answers an Anthropic 400 naming the pair for a backend that cannot count (OpenAI)', async () => {
    const before = gateway.upstreams.openai.requests.length;
    const error = await clientAt(gateway.url)
      .messages.countTokens(params(providerModels.OpenAI.model))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBeGreaterThanOrEqual(400);
    expect(apiError.status).toBeLessThan(500);
    const body = apiError.error as { type?: unknown; error?: { type?: unknown } } | undefined;
    expect(body?.type).toBe('error');
    expect(typeof body?.error?.type).toBe('string');
    expect(gateway.upstreams.openai.requests.length).toBe(before);
  });

  it('never writes a backend credential to any log', () => {
    expectNoSecretIn(gateway.allLogs());
  });
});
