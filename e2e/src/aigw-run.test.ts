import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Anthropic } from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  useHarness,
  waitFor,
  type FakeUpstream,
  type RecordedRequest,
  type UpstreamHandler,
} from '@aigw/testkit';
import { sendsEndpointHostname, startAigw, type RunningAigw } from './support/aigw-process.js';
import { fakeAnthropic, fakeAnthropicModels } from './support/fake-providers/fake-anthropic.js';
import { fakeBedrock } from './support/fake-providers/fake-bedrock.js';
import { fakeOpenAI, fakeOpenAIModels } from './support/fake-providers/fake-openai.js';

/**
 * `aigw run` with real files, as a user runs it: the built CLI starts Envoy, the extproc and the
 * rate limiter; the official OpenAI client and curl talk to it; fake providers stand behind it.
 * Routes a model to each provider, streams, enforces a token budget with a 429, and applies a
 * file edit within a second without breaking a stream in flight.
 */
const run = promisify(execFile);
const harness = useHarness();

// Not an AWS name: the extproc must sign for the endpoint's host name from its metadata (what
// auto_host_rewrite sends), not guess the regional endpoint.
const bedrockHost = 'bedrock.aigw.test';

const secrets = {
  openai: 'sk-aigw-e2e-openai-0123456789',
  anthropic: 'sk-ant-aigw-e2e-0123456789',
  awsAccessKeyId: 'AKIAAIGWE2E000000001',
  awsSecretAccessKey: 'aigw/e2e+secret/KEY0123456789abcdefghij',
  awsRegion: 'us-east-1',
} as const;

/** An OpenAI-compatible backend that streams slowly (frames `delayMs` apart) and says who it is. */
function slowOpenAI(name: string, options: { frames: number; delayMs: number }): UpstreamHandler {
  return async (req: RecordedRequest, res: ServerResponse) => {
    const body = JSON.parse(req.body.toString('utf8')) as { model: string; stream?: boolean };
    const base = { id: `chatcmpl-${name}`, object: 'chat.completion.chunk', created: 1 };
    const model = `${body.model}@${name}`;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          model,
          choices: [
            { index: 0, message: { role: 'assistant', content: name }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    for (let i = 0; i < options.frames; i += 1) {
      if (res.destroyed) return;
      const delta = { content: `${String(i)} ` };
      res.write(
        `data: ${JSON.stringify({ ...base, model, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`,
      );
      await delay(options.delayMs);
    }
    const usage = {
      prompt_tokens: 1,
      completion_tokens: options.frames,
      total_tokens: options.frames + 1,
    };
    res.write(
      `data: ${JSON.stringify({ ...base, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
    );
    res.write(`data: ${JSON.stringify({ ...base, model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  };
}

interface Upstreams {
  readonly openai: FakeUpstream;
  readonly anthropic: FakeUpstream;
  readonly bedrock: FakeUpstream;
  readonly slowA: FakeUpstream;
  readonly slowB: FakeUpstream;
}

const doc = (lines: string[]): string => lines.join('\n');

function backend(
  name: string,
  target: { upstream: FakeUpstream; schema: string; hostname?: string },
  auth?: string,
): string {
  const hostname = target.hostname === undefined ? '' : `, hostname: ${target.hostname}`;
  return doc([
    'apiVersion: aigateway.envoyproxy.io/v1alpha1',
    'kind: AIServiceBackend',
    `metadata: { name: ${name} }`,
    'spec:',
    `  schema: { name: ${target.schema} }`,
    `  backendRef: { name: ${name}, kind: Backend, group: gateway.envoyproxy.io }`,
    // A field our CRD does not know (upstream's own examples carry it): a warning, not a refusal.
    '  timeouts: { request: 60s }',
    '---',
    'apiVersion: gateway.envoyproxy.io/v1alpha1',
    'kind: Backend',
    `metadata: { name: ${name} }`,
    'spec:',
    `  endpoints: [{ ip: { address: 127.0.0.1, port: ${String(target.upstream.port)} }${hostname} }]`,
    ...(auth === undefined ? [] : ['---', auth]),
  ]);
}

function rule(model: string, backendName: string): string[] {
  return [
    `    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: '${model}' }] }]`,
    `      backendRefs: [{ name: ${backendName} }]`,
  ];
}

/** The gateway file; `moving` says which backend serves `moving-model` (slow-b exists only then). */
function gatewayYaml(u: Upstreams, moving: 'slow-a' | 'slow-b'): string {
  return [
    doc([
      'apiVersion: aigateway.envoyproxy.io/v1alpha1',
      'kind: AIGatewayRoute',
      'metadata: { name: chat }',
      'spec:',
      '  llmRequestCosts:',
      '    - { metadataKey: llm_total_token, type: TotalToken }',
      '  rules:',
      ...rule('gpt-4o-mini', 'openai'),
      ...rule('limited-model', 'openai'),
      ...rule('claude-direct', 'anthropic'),
      ...rule('amazon.nova-pro-v1:0', 'bedrock'),
      ...rule('moving-model', moving),
    ]),
    backend(
      'openai',
      { upstream: u.openai, schema: 'OpenAI' },
      doc([
        'apiVersion: aigateway.envoyproxy.io/v1alpha1',
        'kind: BackendSecurityPolicy',
        'metadata: { name: openai-key }',
        'spec:',
        '  type: APIKey',
        '  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai }]',
        '  apiKey: { secretRef: { name: openai-key } }',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata: { name: openai-key }',
        // The key comes from the environment: ${VAR} substitution.
        "stringData: { apiKey: '${AIGW_E2E_OPENAI_KEY}' }",
      ]),
    ),
    backend(
      'anthropic',
      { upstream: u.anthropic, schema: 'Anthropic' },
      doc([
        'apiVersion: aigateway.envoyproxy.io/v1alpha1',
        'kind: BackendSecurityPolicy',
        'metadata: { name: anthropic-key }',
        'spec:',
        '  type: AnthropicAPIKey',
        '  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: anthropic }]',
        '  anthropicAPIKey: { secretRef: { name: anthropic-key } }',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata: { name: anthropic-key }',
        `stringData: { apiKey: '${secrets.anthropic}' }`,
      ]),
    ),
    backend(
      'bedrock',
      // Envoy sends (and the extproc signs for) the endpoint's hostname (Backend endpoints[].hostname).
      { upstream: u.bedrock, schema: 'AWSBedrock', hostname: bedrockHost },
      doc([
        'apiVersion: aigateway.envoyproxy.io/v1alpha1',
        'kind: BackendSecurityPolicy',
        'metadata: { name: aws }',
        'spec:',
        '  type: AWSCredentials',
        '  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: bedrock }]',
        '  awsCredentials:',
        `    region: ${secrets.awsRegion}`,
        '    credentialsFile: { secretRef: { name: aws } }',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata: { name: aws }',
        'stringData:',
        '  credentials: |',
        '    [default]',
        `    aws_access_key_id = ${secrets.awsAccessKeyId}`,
        `    aws_secret_access_key = ${secrets.awsSecretAccessKey}`,
      ]),
    ),
    backend(moving, { upstream: moving === 'slow-a' ? u.slowA : u.slowB, schema: 'OpenAI' }),
    doc([
      'apiVersion: gateway.envoyproxy.io/v1alpha1',
      'kind: BackendTrafficPolicy',
      'metadata: { name: token-budget }',
      'spec:',
      '  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: aigw-run }]',
      '  rateLimit:',
      '    type: Global',
      '    global:',
      '      rules:',
      '        - clientSelectors:',
      '            - headers:',
      '                - { name: x-user-id, type: Distinct }',
      '                - { name: x-ai-eg-model, type: Exact, value: limited-model }',
      '          limit: { requests: 20, unit: Hour }',
      '          cost:',
      '            request: { from: Number, number: 0 }',
      '            response:',
      '              from: Metadata',
      '              metadata: { namespace: io.envoy.ai_gateway, key: llm_total_token }',
    ]),
  ].join('\n---\n');
}

/** aigw's own "config reloaded" lines (the extproc logs its own too). */
function reloads(aigw: RunningAigw): number {
  return aigw.output().match(/INFO \(aigw\/\d+\): config reloaded/g)?.length ?? 0;
}

describe('aigw run with a gateway file', () => {
  let u: Upstreams;
  let aigw: RunningAigw;
  let file: string;
  let client: OpenAI;

  beforeAll(async () => {
    const upstream = (handler: UpstreamHandler, name: string): Promise<FakeUpstream> =>
      harness.upstream(handler, { name });
    u = {
      openai: await upstream(
        fakeOpenAI({
          apiKey: secrets.openai,
          azureApiKey: 'unused',
          usage: { input: 11, output: 7 },
        }),
        'fake-openai',
      ),
      anthropic: await upstream(
        fakeAnthropic({ apiKey: secrets.anthropic, usage: { input: 41, output: 17 } }),
        'fake-anthropic',
      ),
      bedrock: await upstream(
        fakeBedrock({
          credentials: {
            accessKeyId: secrets.awsAccessKeyId,
            secretAccessKey: secrets.awsSecretAccessKey,
            region: secrets.awsRegion,
          },
          usage: { input: 23, output: 9 },
        }),
        'fake-bedrock',
      ),
      slowA: await upstream(slowOpenAI('slow-a', { frames: 10, delayMs: 250 }), 'slow-a'),
      slowB: await upstream(slowOpenAI('slow-b', { frames: 3, delayMs: 10 }), 'slow-b'),
    };
    file = join(harness.tempDir('aigw-run-file'), 'gateway.yaml');
    writeFileSync(file, gatewayYaml(u, 'slow-a'));
    aigw = await startAigw({ args: [file], env: { AIGW_E2E_OPENAI_KEY: secrets.openai } });
    client = new OpenAI({
      baseURL: `${aigw.url}/v1`,
      apiKey: 'client-key-not-forwarded',
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  it('prints one screen with the address, the routes and a curl example', () => {
    const output = aigw.output();
    expect(output).toContain(`aigw is ready: http://localhost:${String(aigw.port)}`);
    expect(output).toMatch(/gpt-4o-mini\s+→\s+default\/openai/);
    expect(output).toMatch(/claude-direct\s+→\s+default\/anthropic/);
    expect(output).toContain('rate limiter: 127.0.0.1:');
    expect(output).toContain(`curl -s http://localhost:${String(aigw.port)}/v1/chat/completions`);
    expect(output).toContain(
      `${file}: AIServiceBackend default/openai: unknown field "spec.timeouts" (ignored)`,
    );
  });

  it('answers a chat completion through the OpenAI client, with the key from the file', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello gateway' }],
    });
    expect(completion.choices[0]?.message.content).toContain('hello gateway');
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    const last = u.openai.requests.at(-1)!;
    expect(last.headers.authorization).toBe(`Bearer ${secrets.openai}`);
  });

  it('lists the routed models at GET /v1/models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      expect(model).toMatchObject({ object: 'model', owned_by: expect.any(String) as unknown });
      expect(typeof model.created).toBe('number');
      ids.push(model.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'claude-direct']));
  });

  it("lists them in Anthropic's format for the Anthropic SDK, at the root and at /anthropic", async () => {
    for (const baseURL of [aigw.url, `${aigw.url}/anthropic`]) {
      const anthropic = new Anthropic({ baseURL, apiKey: 'client-side', maxRetries: 0 });
      const ids: string[] = [];
      for await (const model of anthropic.models.list()) {
        expect(model.type).toBe('model');
        expect(Number.isNaN(Date.parse(model.created_at))).toBe(false);
        ids.push(model.id);
      }
      expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'claude-direct']));
    }
  });

  it('streams through the OpenAI client', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('stream please');
  });

  it('answers curl, streaming SSE', async () => {
    const { stdout } = await run('curl', [
      ...['-sS', '-N', '--max-time', '20', `${aigw.url}/v1/chat/completions`],
      ...['-H', 'content-type: application/json'],
      ...[
        '-d',
        JSON.stringify({
          model: 'gpt-4o-mini',
          stream: true,
          messages: [{ role: 'user', content: 'curl' }],
        }),
      ],
    ]);
    expect(stdout).toMatch(/^data: /m);
    expect(stdout.trimEnd()).toMatch(/data: \[DONE\]$/);
  });

  it.for([
    ['claude-direct', 'anthropic', 'x-api-key'],
    ['amazon.nova-pro-v1:0', 'bedrock', 'authorization'],
  ] as const)('routes %s to the %s fake with its credential', async ([model, name, header]) => {
    if (name === 'bedrock') expect(await sendsEndpointHostname(aigw, bedrockHost)).toBe(true);
    const upstream = u[name];
    const before = upstream.requests.length;
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: `hi ${name}` }],
    });
    expect(completion.choices[0]?.message.content).toContain(`hi ${name}`);
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.requests.at(-1)!.headers[header]).toBeTruthy();
  });

  it('answers 429 once a user spends the token budget', async () => {
    const ask = (): Promise<Response> =>
      fetch(`${aigw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': `user-${String(Date.now())}` },
        body: JSON.stringify({
          model: 'limited-model',
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
    const user = `user-${String(Date.now())}`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${aigw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': user },
        body: JSON.stringify({
          model: 'limited-model',
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        const body = (await response.json()) as { error?: { type?: string } };
        expect(body.error?.type).toBe('rate_limit_error');
      } else {
        await response.text();
      }
      // The budget is charged when the response ends; let the limiter see it.
      await delay(200);
    }
    // 18 tokens per answer against a budget of 20: the third request finds it spent.
    expect(statuses).toEqual([200, 200, 429, 429]);
    // Another user still has a budget.
    expect((await ask()).status).toBe(200);
  });

  it('applies a file edit within a second and lets a stream in flight finish', async () => {
    const stream = await client.chat.completions.create({
      model: 'moving-model',
      messages: [{ role: 'user', content: 'long story' }],
      stream: true,
    });
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) chunks.push(chunk.choices[0]?.delta.content ?? '');
    })();
    await waitFor(() => chunks.length > 0, { description: 'the first streamed chunk' });
    const reloadsBefore = reloads(aigw);

    writeFileSync(file, gatewayYaml(u, 'slow-b'));
    const edited = Date.now();
    await waitFor(
      async () => {
        const answer = await client.chat.completions.create({
          model: 'moving-model',
          messages: [{ role: 'user', content: 'who are you' }],
        });
        return answer.model.endsWith('@slow-b');
      },
      { timeoutMs: 5_000, intervalMs: 20, description: 'moving-model to be served by slow-b' },
    );
    const applied = Date.now() - edited;

    await reading;
    expect(chunks.join('')).toBe('0 1 2 3 4 5 6 7 8 9 ');
    expect(applied).toBeLessThan(1_000);
    expect(reloads(aigw)).toBe(reloadsBefore + 1);
    // The extproc knew slow-b before Envoy routed to it: no request failed meanwhile.
    expect(aigw.output()).not.toMatch(/unknown backend/);
  });

  it('keeps the running config when an edit is invalid, and applies the next valid one', async () => {
    writeFileSync(file, `${gatewayYaml(u, 'slow-b')}\n---\nkind: AIGatewayRoute\nmetadata: {}\n`);
    await waitFor(() => aigw.output().includes('invalid configuration, keeping the running one'), {
      timeoutMs: 5_000,
      description: 'the invalid edit to be reported',
    });
    expect(aigw.output()).toContain(file);
    const answer = await client.chat.completions.create({
      model: 'moving-model',
      messages: [{ role: 'user', content: 'still there?' }],
    });
    expect(answer.model).toBe('moving-model@slow-b');

    writeFileSync(file, gatewayYaml(u, 'slow-a'));
    await waitFor(
      async () =>
        (
          await client.chat.completions.create({
            model: 'moving-model',
            messages: [{ role: 'user', content: 'back?' }],
          })
        ).model === 'moving-model@slow-a',
      { timeoutMs: 5_000, intervalMs: 50, description: 'moving-model back on slow-a' },
    );
  });

  it('keeps serving when Envoy would refuse an edit (a regular expression RE2 rejects)', async () => {
    const broken = gatewayYaml(u, 'slow-a').replace(
      "type: Exact, name: x-ai-eg-model, value: 'moving-model'",
      "type: RegularExpression, name: x-ai-eg-model, value: 'moving-('",
    );
    expect(broken).toContain('moving-(');
    writeFileSync(file, broken);
    await waitFor(
      () =>
        /envoy rejected the new configuration|invalid configuration, keeping the running one:[^]*moving-\(/.test(
          aigw.output(),
        ),
      { timeoutMs: 5_000, description: 'the refused edit to be reported' },
    );
    await delay(300);
    const answer = await client.chat.completions.create({
      model: 'moving-model',
      messages: [{ role: 'user', content: 'still routed?' }],
    });
    expect(answer.model).toBe('moving-model@slow-a');
    writeFileSync(file, gatewayYaml(u, 'slow-a'));
  });

  it('never logs a credential', () => {
    const output = aigw.output();
    for (const secret of [secrets.openai, secrets.anthropic, secrets.awsSecretAccessKey]) {
      expect(output).not.toContain(secret);
    }
  });
});

describe('aigw run with the embedded default', () => {
  it('routes every model to OPENAI_BASE_URL with OPENAI_API_KEY', async () => {
    const key = 'sk-aigw-default-e2e-42';
    const upstream = await harness.upstream(
      fakeOpenAI({ apiKey: key, azureApiKey: 'unused', usage: { input: 3, output: 2 } }),
      { name: 'default-openai' },
    );
    const aigw = await startAigw({
      env: { OPENAI_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: key, ANTHROPIC_API_KEY: '' },
    });
    try {
      expect(aigw.output()).toContain('config: embedded default');
      const client = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'ignored', maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model: 'any-model-at-all',
        messages: [{ role: 'user', content: 'default route' }],
      });
      expect(completion.choices[0]?.message.content).toContain('default route');
      // The last POST: aigw also asks GET /v1/models in the background.
      const chat = upstream.requests.filter((r) => r.method === 'POST').at(-1);
      expect(chat?.headers.authorization).toBe(`Bearer ${key}`);
      expect(chat?.url).toBe('/v1/chat/completions');
    } finally {
      await aigw.stop();
    }
  });

  it('sends claude-* models to Anthropic when ANTHROPIC_API_KEY is set', async () => {
    const openai = await harness.upstream(
      fakeOpenAI({ apiKey: 'sk-o', azureApiKey: 'unused', usage: { input: 3, output: 2 } }),
      { name: 'default-openai' },
    );
    const anthropic = await harness.upstream(
      fakeAnthropic({ apiKey: 'sk-ant-default', usage: { input: 4, output: 5 } }),
      { name: 'default-anthropic' },
    );
    const aigw = await startAigw({
      env: {
        OPENAI_BASE_URL: `${openai.url}/v1`,
        OPENAI_API_KEY: 'sk-o',
        ANTHROPIC_BASE_URL: anthropic.url,
        ANTHROPIC_API_KEY: 'sk-ant-default',
      },
    });
    try {
      expect(aigw.output()).toMatch(/claude-\.\*\s+→\s+default\/anthropic/);
      const client = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'ignored', maxRetries: 0 });
      const claude = await client.chat.completions.create({
        model: 'claude-haiku-4-5',
        messages: [{ role: 'user', content: 'to claude' }],
      });
      expect(claude.choices[0]?.message.content).toContain('to claude');
      const toClaude = anthropic.requests.filter((r) => r.method === 'POST').at(-1);
      expect(toClaude?.headers['x-api-key']).toBe('sk-ant-default');
      const gpt = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'to openai' }],
      });
      expect(gpt.choices[0]?.message.content).toContain('to openai');
      expect(openai.requests.filter((r) => r.method === 'POST')).toHaveLength(1);

      // /v1/models lists what each provider lists for the models its route takes.
      const listed = await waitFor(
        async () => {
          const page = await client.models.list();
          return page.data.length > 0 ? page.data : undefined;
        },
        { timeoutMs: 10_000, description: 'the providers’ models in /v1/models' },
      );
      expect(listed.map((m) => m.id)).toEqual([
        ...fakeAnthropicModels.map((m) => m.id).sort(),
        ...fakeOpenAIModels.map((m) => m.id),
      ]);
      expect(listed.find((m) => m.id === 'o3')).toMatchObject({
        owned_by: 'system',
        created: 1744225308,
      });
      expect(listed.find((m) => m.id === 'claude-sonnet-4-5')).toMatchObject({
        owned_by: 'anthropic',
        created: Date.parse('2025-09-29T00:00:00Z') / 1000,
      });
      // Asked with each provider's own credential.
      const anthropicList = anthropic.requests.find((r) => r.method === 'GET');
      expect(anthropicList?.headers['x-api-key']).toBe('sk-ant-default');
      expect(openai.requests.find((r) => r.method === 'GET')?.headers.authorization).toBe(
        'Bearer sk-o',
      );
    } finally {
      await aigw.stop();
    }
  });

  it('starts without any key and says what to set', async () => {
    const aigw = await startAigw({
      env: { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    try {
      expect(aigw.output()).toMatch(/! No OPENAI_API_KEY or ANTHROPIC_API_KEY is set/);
      expect(aigw.output()).toMatch(/! Set OPENAI_API_KEY/);
    } finally {
      await aigw.stop();
    }
  });
});
