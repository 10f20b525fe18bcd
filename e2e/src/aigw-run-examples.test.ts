import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import {
  findRepoRoot,
  RespClient,
  useHarness,
  waitFor,
  type FakeUpstream,
  type RedisProcess,
} from '@aigw/testkit';
import { sendsEndpointHostname, startAigw, type RunningAigw } from './support/aigw-process.js';
import { fakeAnthropic } from './support/fake-providers/fake-anthropic.js';
import { fakeBedrock } from './support/fake-providers/fake-bedrock.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';
import { fakeVertex } from './support/fake-providers/fake-vertex.js';

/**
 * Every file in examples/ runs under `aigw run` as written, except that each Envoy Gateway
 * `Backend` is pointed at a local fake provider: the official OpenAI client gets answers from
 * every provider the example routes to, and the token-budget example answers 429.
 */
const harness = useHarness();
const bedrockHost = 'bedrock-runtime.us-east-1.amazonaws.com';
const root = findRepoRoot() ?? '.';

const env = {
  OPENAI_API_KEY: 'sk-example-openai-0123456789',
  ANTHROPIC_API_KEY: 'sk-ant-example-0123456789',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEE2E000001',
  AWS_SECRET_ACCESS_KEY: 'example/e2e+secret/KEY0123456789abcdefgh',
  GCP_ACCESS_TOKEN: 'ya29.example-e2e-token',
  GCP_PROJECT: 'example-project',
} as const;

type Provider = 'openai' | 'anthropic' | 'bedrock' | 'vertex';

async function startFakes(usage: {
  input: number;
  output: number;
}): Promise<Record<Provider, FakeUpstream>> {
  return {
    openai: await harness.upstream(
      fakeOpenAI({ apiKey: env.OPENAI_API_KEY, azureApiKey: 'unused', usage }),
      { name: 'fake-openai' },
    ),
    anthropic: await harness.upstream(fakeAnthropic({ apiKey: env.ANTHROPIC_API_KEY, usage }), {
      name: 'fake-anthropic',
    }),
    bedrock: await harness.upstream(
      fakeBedrock({
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          region: 'us-east-1',
        },
        usage,
      }),
      { name: 'fake-bedrock' },
    ),
    vertex: await harness.upstream(
      fakeVertex({
        token: env.GCP_ACCESS_TOKEN,
        project: env.GCP_PROJECT,
        region: 'us-central1',
        usage,
      }),
      { name: 'fake-vertex' },
    ),
  };
}

/** The example with each `Backend` pointed at the fake of the same name (plain HTTP). */
function localExample(name: string, fakes: Record<Provider, FakeUpstream>): string {
  const text = readFileSync(join(root, 'examples', name), 'utf8');
  const docs = parseAllDocuments(text).map((doc) => doc.toJS() as Record<string, unknown>);
  for (const doc of docs) {
    if (doc.kind !== 'Backend') continue;
    const backendName = (doc.metadata as { name: Provider }).name;
    const fake = fakes[backendName];
    const spec = doc.spec as { endpoints: { fqdn?: { hostname: string } }[] };
    // The provider's host name stays the endpoint's host name (the Host header Envoy sends and
    // SigV4 signs); only the address becomes the fake's.
    const hostname = spec.endpoints[0]?.fqdn?.hostname;
    doc.spec = {
      endpoints: [
        { ip: { address: '127.0.0.1', port: fake.port }, ...(hostname ? { hostname } : {}) },
      ],
    };
  }
  const file = join(harness.tempDir('aigw-example'), name);
  writeFileSync(file, docs.map((doc) => stringify(doc)).join('---\n'));
  return file;
}

async function runExample(
  name: string,
  fakes: Record<Provider, FakeUpstream>,
  flags: readonly string[] = [],
): Promise<{ aigw: RunningAigw; client: OpenAI }> {
  const aigw = await startAigw({ args: [localExample(name, fakes), ...flags], env });
  const client = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'client-side', maxRetries: 0 });
  return { aigw, client };
}

describe('examples/quickstart.yaml', () => {
  let fakes: Record<Provider, FakeUpstream>;
  let aigw: RunningAigw;
  let client: OpenAI;
  beforeAll(async () => {
    fakes = await startFakes({ input: 5, output: 3 });
    ({ aigw, client } = await runExample('quickstart.yaml', fakes));
  });
  afterAll(async () => {
    await aigw.stop();
  });

  it.each(['gpt-4o-mini', 'gpt-4.1-mini'])('answers %s from OpenAI with the key', async (model) => {
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'quickstart' }],
    });
    expect(completion.choices[0]?.message.content).toContain('quickstart');
    expect(fakes.openai.requests.at(-1)!.headers.authorization).toBe(
      `Bearer ${env.OPENAI_API_KEY}`,
    );
  });

  it('streams', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream it' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('stream it');
  });

  it('answers 404 in the OpenAI dialect for a model it does not route', async () => {
    await expect(
      client.chat.completions.create({
        model: 'not-routed',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 404 });
  });
});

describe('examples/multi-provider.yaml', () => {
  let fakes: Record<Provider, FakeUpstream>;
  let aigw: RunningAigw;
  let client: OpenAI;
  beforeAll(async () => {
    fakes = await startFakes({ input: 7, output: 4 });
    ({ aigw, client } = await runExample('multi-provider.yaml', fakes));
  });
  afterAll(async () => {
    await aigw.stop();
  });

  it.for([
    ['gpt-4o-mini', 'openai'],
    ['claude-sonnet-4-5', 'anthropic'],
    ['llama3-2-1b', 'bedrock'],
    ['gemini-2.5-flash', 'vertex'],
  ] as const)('routes %s to the %s fake', async ([model, provider]) => {
    const before = fakes[provider].requests.length;
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: `to ${provider}` }],
    });
    expect(completion.choices[0]?.message.content).toContain(`to ${provider}`);
    expect(fakes[provider].requests.length).toBe(before + 1);
  });

  it('rewrites the model name for Bedrock, sent to its endpoint host name', async () => {
    expect(await sendsEndpointHostname(aigw, bedrockHost)).toBe(true);
    const last = fakes.bedrock.requests.at(-1)!;
    expect(last.url).toContain('/model/us.meta.llama3-2-1b-instruct-v1:0/');
  });

  it('falls back to Anthropic (priority 1, model rewritten) when OpenAI is down', async () => {
    await fakes.openai.close();
    const before = fakes.anthropic.requests.length;
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'fallback please' }],
    });
    expect(completion.choices[0]?.message.content).toContain('fallback please');
    expect(fakes.anthropic.requests.length).toBe(before + 1);
    const body = JSON.parse(fakes.anthropic.requests.at(-1)!.body.toString('utf8')) as {
      model: string;
    };
    expect(body.model).toBe('claude-3-5-haiku-latest');
  });

  it('streams from Anthropic, translated to OpenAI chunks', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'stream from claude' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('stream from claude');
  });
});

describe('examples/token-ratelimit.yaml', () => {
  let aigw: RunningAigw;
  beforeAll(async () => {
    // 600 tokens per answer against the per-user budget of 1000 per hour.
    const fakes = await startFakes({ input: 400, output: 200 });
    ({ aigw } = await runExample('token-ratelimit.yaml', fakes));
  });
  afterAll(async () => {
    await aigw.stop();
  });

  it('answers 429 once a user has spent the budget, and not for another user', async () => {
    const ask = async (user: string): Promise<Response> => {
      const response = await fetch(`${aigw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': user },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await response.text();
      // The usage is charged when the response ends.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return response;
    };
    const alice = [await ask('alice'), await ask('alice'), await ask('alice')];
    expect(alice.map((r) => r.status)).toEqual([200, 200, 429]);
    // The budget as OpenAI's SDKs read it, before each request was charged: 1000, 400, 0 left.
    const budget = alice.map((r) => [
      r.headers.get('x-ratelimit-limit-tokens'),
      r.headers.get('x-ratelimit-remaining-tokens'),
    ]);
    expect(budget).toEqual([
      ['1000', '1000'],
      ['1000', '400'],
      ['1000', '0'],
    ]);
    for (const response of alice) {
      // The reset as OpenAI writes it (at most an hour away), no draft headers left.
      expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+m)?\d+s$/);
      expect(response.headers.get('x-ratelimit-remaining')).toBeNull();
    }
    const retryAfter = Number(alice[2]?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(alice[0]?.headers.get('retry-after')).toBeNull();
    expect((await ask('bob')).status).toBe(200);
  });

  it('gives an Anthropic client the budget in Anthropic’s headers, and retry-after on its 429', async () => {
    const ask = async (): Promise<Response> => {
      const response = await fetch(`${aigw.url}/v1/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-user-id': 'dave',
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      await response.text();
      await new Promise((resolve) => setTimeout(resolve, 200));
      return response;
    };
    const dave = [await ask(), await ask(), await ask()];
    expect(dave.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(dave.map((r) => r.headers.get('anthropic-ratelimit-tokens-remaining'))).toEqual([
      '1000',
      '400',
      '0',
    ]);
    for (const response of dave) {
      expect(response.headers.get('anthropic-ratelimit-tokens-limit')).toBe('1000');
      // RFC 3339, within the hour.
      const reset = Date.parse(response.headers.get('anthropic-ratelimit-tokens-reset') ?? '');
      expect(reset).toBeGreaterThan(Date.now() - 5_000);
      expect(reset).toBeLessThanOrEqual(Date.now() + 3_600_000);
      expect(response.headers.get('x-ratelimit-remaining-tokens')).toBeNull();
    }
    expect(Number(dave[2]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('runs the rate limiter with in-memory counters', () => {
    expect(aigw.output()).toMatch(/rate limiter: 127\.0\.0\.1:\d+ \(in-memory counters\)/);
  });
});

describe('examples/token-ratelimit.yaml with --redis-url', () => {
  let aigw: RunningAigw;
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await harness.redis();
    const fakes = await startFakes({ input: 400, output: 200 });
    ({ aigw } = await runExample('token-ratelimit.yaml', fakes, ['--redis-url', redis.url]));
  });
  afterAll(async () => {
    await aigw.stop();
  });

  it('keeps the counters in Redis', async () => {
    const ask = async (): Promise<number> => {
      const response = await fetch(`${aigw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': 'carol' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await response.text();
      await new Promise((resolve) => setTimeout(resolve, 200));
      return response.status;
    };
    expect([await ask(), await ask(), await ask()]).toEqual([200, 200, 429]);
    expect(aigw.output()).toMatch(/rate limiter: 127\.0\.0\.1:\d+ \(redis\)/);
    const client = await RespClient.connect({ host: redis.host, port: redis.port });
    try {
      const keys = await client.command('KEYS', '*carol*');
      expect(Array.isArray(keys) && keys.length > 0).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('examples/token-ratelimit.yaml with a budget per second, and the SDKs retrying', () => {
  let aigw: RunningAigw;
  beforeAll(async () => {
    // 600 tokens per answer against 1000 per user per second: the third answer in a second is
    // refused, and the window resets within the second.
    const fakes = await startFakes({ input: 400, output: 200 });
    const file = localExample('token-ratelimit.yaml', fakes);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/unit: Hour/g, 'unit: Second'));
    aigw = await startAigw({ args: [file], env });
  });
  afterAll(async () => {
    await aigw.stop();
  });

  /**
   * Six answers for one user, each by the SDK with one retry: all succeed. Some were refused
   * first (the access log's 429s), then retried by the SDK after the `retry-after` the gateway
   * sent (a whole second: the SDKs' own first back-off is shorter, and would land in the same
   * window again).
   */
  async function sixAnswers(ask: () => Promise<void>): Promise<void> {
    const refusedBefore = (aigw.output().match(/"status":429/g) ?? []).length;
    for (let i = 0; i < 6; i++) await ask();
    await waitFor(() => (aigw.output().match(/"status":429/g) ?? []).length > refusedBefore, {
      timeoutMs: 5_000,
      description: 'a 429 in the access log',
    });
  }

  it('the openai SDK waits out the 429 as retry-after says; every request succeeds', async () => {
    const client = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'client-side', maxRetries: 1 });
    await sixAnswers(async () => {
      const completion = await client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-user-id': 'erin' } },
      );
      expect(completion.choices[0]?.message.content).toBeTruthy();
    });
  });

  it('the Anthropic SDK waits out the 429 as retry-after says; every request succeeds', async () => {
    const client = new Anthropic({ baseURL: aigw.url, apiKey: 'client-side', maxRetries: 1 });
    await sixAnswers(async () => {
      const message = await client.messages.create(
        { model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-user-id': 'frank' } },
      );
      expect(message.content[0]?.type).toBe('text');
    });
  });
});

describe('an edit that adds the first token budget', () => {
  it('starts the rate limiter and enforces the budget, without a restart', async () => {
    const fakes = await startFakes({ input: 400, output: 200 });
    const file = localExample('quickstart.yaml', fakes);
    const aigw = await startAigw({ args: [file], env });
    try {
      expect(aigw.output()).not.toContain('rate limiter:');
      copyFileSync(localExample('token-ratelimit.yaml', fakes), file);
      await waitFor(() => /INFO \(aigw\/\d+\): config reloaded/.test(aigw.output()), {
        timeoutMs: 15_000,
        description: 'the reload',
      });
      expect(aigw.output()).toContain('rate limiter started');
      const ask = async (): Promise<number> => {
        const response = await fetch(`${aigw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-user-id': 'dave' },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        await response.text();
        await new Promise((resolve) => setTimeout(resolve, 200));
        return response.status;
      };
      expect([await ask(), await ask(), await ask()]).toEqual([200, 200, 429]);
    } finally {
      await aigw.stop();
    }
  });
});
