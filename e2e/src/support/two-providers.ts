import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { expect } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';
import type { FakeUpstream, Harness } from '@aigw/testkit';
import { fakeOpenAI } from './fake-openai.js';
import { fakeAnthropic } from './fake-providers/fake-anthropic.js';
import type { TestBackend } from './gateway-bootstrap.js';

/** What each fake provider reports as usage. */
export const twoProviderUsage = {
  openai: { prompt: 11, completion: 7, cached: 3 },
  anthropic: { input: 41, output: 17 },
} as const;

/** The two providers, the filter config that routes to them, and their gateway backends. */
export interface TwoProviders {
  readonly upstreams: { readonly openai: FakeUpstream; readonly anthropic: FakeUpstream };
  readonly config: FilterConfigInput;
  /** For `gatewayBootstrap`'s `backends`: clusters `openai` and `anthropic`. */
  readonly backends: readonly TestBackend[];
}

/**
 * An OpenAI-speaking provider (passthrough) and an Anthropic-speaking one (translated), with
 * their keys written to `dir`, and the filter config routing `models.openai` and
 * `models.anthropic` to them: the observability tests' two providers.
 */
export async function twoProviders(
  harness: Harness,
  options: { dir: string; route: string; models: { openai: string; anthropic: string } },
): Promise<TwoProviders> {
  const { dir, route, models } = options;
  const anthropicKey = `sk-ant-${route}`;
  writeFileSync(join(dir, 'openai-key'), `sk-${route}-openai\n`);
  writeFileSync(join(dir, 'anthropic-key'), `${anthropicKey}\n`);
  const upstreams = {
    openai: await harness.upstream(fakeOpenAI({ name: 'o', usage: twoProviderUsage.openai }), {
      name: 'openai',
    }),
    anthropic: await harness.upstream(
      fakeAnthropic({ apiKey: anthropicKey, usage: twoProviderUsage.anthropic }),
      { name: 'anthropic' },
    ),
  };
  const names = {
    openai: `default/openai/route/${route}/rule/0/ref/0`,
    anthropic: `default/anthropic/route/${route}/rule/1/ref/0`,
  };
  const config: FilterConfigInput = {
    version: 'v1',
    backends: [
      {
        name: names.openai,
        schema: { name: 'OpenAI' },
        auth: { apiKey: { file: join(dir, 'openai-key') } },
      },
      {
        name: names.anthropic,
        schema: { name: 'Anthropic' },
        auth: { anthropicApiKey: { file: join(dir, 'anthropic-key') } },
      },
    ],
    routes: {
      rules: [
        { models: [models.openai], cluster: 'openai' },
        { models: [models.anthropic], cluster: 'anthropic' },
      ],
    },
  };
  const backends: TestBackend[] = [
    { cluster: 'openai', backendName: names.openai, upstream: upstreams.openai },
    { cluster: 'anthropic', backendName: names.anthropic, upstream: upstreams.anthropic },
  ];
  return { upstreams, config, backends };
}

/**
 * The observability tests' traffic through `client`: two non-streamed requests to the OpenAI
 * model and one to the Anthropic one, then one stream to each (five requests in all).
 */
export async function twoProviderTraffic(
  client: OpenAI,
  models: { openai: string; anthropic: string },
): Promise<void> {
  const messages = [{ role: 'user' as const, content: 'count me' }];
  for (const model of [models.openai, models.openai, models.anthropic]) {
    const completion = await client.chat.completions.create({
      model,
      messages,
      max_completion_tokens: 9,
    });
    expect(completion.choices[0]?.message.content).toBeTruthy();
  }
  for (const model of [models.openai, models.anthropic]) {
    const stream = await client.chat.completions.create({
      model,
      messages,
      max_completion_tokens: 9,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
  }
}
