import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Anthropic } from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort, useHarness, type FakeUpstream } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { fakeAnthropic } from './support/fake-providers/fake-anthropic.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * `aigw run --root-prefix /ai --endpoint-prefixes anthropic:/claude`: the official clients reach
 * OpenAI chat under `/ai/v1` and Anthropic messages under `/ai/claude`, through real Envoy (routes
 * match the root prefix) and the extproc (endpoints joined as upstream's path.Join); the paths
 * outside the prefixes get a 404 in the client's dialect, and Envoy's own errors (a dead backend)
 * are mapped to the dialect the layout gives the path.
 */
const harness = useHarness();

const keys = { openai: 'sk-prefix-e2e-openai-0123', anthropic: 'sk-ant-prefix-e2e-0123' };

const doc = (lines: string[]): string => lines.join('\n');

function backend(name: string, target: { schema: string; port: number }, secret?: string): string {
  const { schema, port } = target;
  const auth =
    secret === undefined
      ? []
      : schema === 'Anthropic'
        ? [
            '---',
            doc([
              'apiVersion: aigateway.envoyproxy.io/v1alpha1',
              'kind: BackendSecurityPolicy',
              `metadata: { name: ${name}-key }`,
              'spec:',
              '  type: AnthropicAPIKey',
              `  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ${name} }]`,
              `  anthropicAPIKey: { secretRef: { name: ${name}-key } }`,
            ]),
          ]
        : [
            '---',
            doc([
              'apiVersion: aigateway.envoyproxy.io/v1alpha1',
              'kind: BackendSecurityPolicy',
              `metadata: { name: ${name}-key }`,
              'spec:',
              '  type: APIKey',
              `  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ${name} }]`,
              `  apiKey: { secretRef: { name: ${name}-key } }`,
            ]),
          ];
  return doc([
    'apiVersion: aigateway.envoyproxy.io/v1alpha1',
    'kind: AIServiceBackend',
    `metadata: { name: ${name} }`,
    'spec:',
    `  schema: { name: ${schema} }`,
    `  backendRef: { name: ${name}, kind: Backend, group: gateway.envoyproxy.io }`,
    '---',
    'apiVersion: gateway.envoyproxy.io/v1alpha1',
    'kind: Backend',
    `metadata: { name: ${name} }`,
    `spec: { endpoints: [{ ip: { address: 127.0.0.1, port: ${String(port)} } }] }`,
    ...auth,
    ...(secret === undefined
      ? []
      : [
          '---',
          doc([
            'apiVersion: v1',
            'kind: Secret',
            `metadata: { name: ${name}-key }`,
            `stringData: { apiKey: '${secret}' }`,
          ]),
        ]),
  ]);
}

function gatewayYaml(openai: FakeUpstream, anthropic: FakeUpstream, deadPort: number): string {
  const rule = (model: string, name: string): string[] => [
    `    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: '${model}' }] }]`,
    `      backendRefs: [{ name: ${name} }]`,
  ];
  return [
    doc([
      'apiVersion: aigateway.envoyproxy.io/v1alpha1',
      'kind: AIGatewayRoute',
      'metadata: { name: prefixed }',
      'spec:',
      '  rules:',
      ...rule('gpt-4o-mini', 'openai'),
      ...rule('claude-direct', 'anthropic'),
      ...rule('gpt-dead', 'dead-openai'),
      ...rule('claude-dead', 'dead-anthropic'),
    ]),
    backend('openai', { schema: 'OpenAI', port: openai.port }, keys.openai),
    backend('anthropic', { schema: 'Anthropic', port: anthropic.port }, keys.anthropic),
    // Nothing listens on deadPort: Envoy answers 503 itself (connection refused).
    backend('dead-openai', { schema: 'OpenAI', port: deadPort }),
    backend('dead-anthropic', { schema: 'Anthropic', port: deadPort }),
  ].join('\n---\n');
}

async function post(url: string, body: object): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const message = {
  model: 'claude-direct',
  max_tokens: 16,
  messages: [{ role: 'user', content: 'hi' }],
};

describe('aigw run under --root-prefix /ai and --endpoint-prefixes anthropic:/claude', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let aigw: RunningAigw;

  beforeAll(async () => {
    openai = await harness.upstream(
      fakeOpenAI({ apiKey: keys.openai, azureApiKey: 'unused', usage: { input: 5, output: 3 } }),
      { name: 'fake-openai' },
    );
    anthropic = await harness.upstream(
      fakeAnthropic({ apiKey: keys.anthropic, usage: { input: 7, output: 2 } }),
      { name: 'fake-anthropic' },
    );
    const file = join(harness.tempDir('aigw-prefixes'), 'gateway.yaml');
    writeFileSync(file, gatewayYaml(openai, anthropic, await getFreePort()));
    aigw = await startAigw({
      args: [file, '--root-prefix', '/ai'],
      env: { AIGW_ENDPOINT_PREFIXES: 'anthropic:/claude' },
      name: 'aigw-prefixes',
    });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  it('prints the prefixed OpenAI base in the banner', () => {
    expect(aigw.output()).toContain(`aigw is ready: http://localhost:${String(aigw.port)}/ai`);
    expect(aigw.output()).toContain(
      `curl -s http://localhost:${String(aigw.port)}/ai/v1/chat/completions`,
    );
  });

  it('answers OpenAI chat completions under /ai/v1', async () => {
    const client = new OpenAI({ baseURL: `${aigw.url}/ai/v1`, apiKey: 'client', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello prefix' }],
    });
    expect(completion.choices[0]?.message.content).toContain('hello prefix');
    expect(completion.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3 });
    // The backend gets its own path, not the client's prefixed one.
    expect(openai.requests.at(-1)?.url).toBe('/v1/chat/completions');
  });

  it('answers Anthropic messages under /ai/claude', async () => {
    const client = new Anthropic({
      baseURL: `${aigw.url}/ai/claude`,
      apiKey: 'client',
      maxRetries: 0,
    });
    const reply = await client.messages.create({
      model: 'claude-direct',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hello claude prefix' }],
    });
    expect(reply.usage).toMatchObject({ input_tokens: 7, output_tokens: 2 });
    expect(anthropic.requests.at(-1)?.url).toBe('/v1/messages');
  });

  it('lists the models at /ai/v1/models', async () => {
    const response = await fetch(`${aigw.url}/ai/v1/models`);
    expect(response.status).toBe(200);
    const list = (await response.json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toEqual(
      expect.arrayContaining(['gpt-4o-mini', 'claude-direct']),
    );
  });

  it.each([
    ['/v1/chat/completions', chat, 'openai'],
    ['/ai/chat/completions', chat, 'openai'],
    ['/anthropic/v1/messages', message, 'anthropic'],
    ['/v1/messages', message, 'anthropic'],
    ['/ai/anthropic/v1/messages', message, 'anthropic'],
  ])(
    'answers %s outside the prefixes with a 404 in the client dialect',
    async (path, body, dialect) => {
      const { status, json } = await post(`${aigw.url}${path}`, body);
      expect(status).toBe(404);
      const error = { type: 'not_found_error', message: `unsupported path: ${path}` };
      expect(json).toEqual(
        dialect === 'openai'
          ? { error: { ...error, param: null, code: null } }
          : { type: 'error', error },
      );
    },
  );

  it('answers GET /v1/models without the root prefix with a 404', async () => {
    const response = await fetch(`${aigw.url}/v1/models`);
    expect(response.status).toBe(404);
  });

  it.each([
    ['/ai/v1/chat/completions', { ...chat, model: 'gpt-dead' }, 'openai'],
    ['/ai/claude/v1/messages', { ...message, model: 'claude-dead' }, 'anthropic'],
  ])(
    "maps Envoy's own 503 on %s to the %s dialect by the prefixes",
    async (path, body, dialect) => {
      const { status, json } = await post(`${aigw.url}${path}`, body);
      expect(status).toBe(503);
      if (dialect === 'openai') {
        expect(json).toMatchObject({ error: { type: 'server_error' } });
      } else {
        expect(json).toMatchObject({ type: 'error', error: { type: 'api_error' } });
      }
    },
  );
});
