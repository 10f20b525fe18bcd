import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APIError, BadRequestError, OpenAI } from 'openai';
import type { ResponseStreamEvent, Tool } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenAiMetrics } from '@aigw/extproc/metrics';
import {
  parsePrometheusText,
  useHarness,
  waitFor,
  type FakeUpstream,
  type PrometheusFamily,
} from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { startTestExtProc, type TestExtProc } from './support/extproc-harness.js';
import { fakeOpenAI, openAIToolCallId } from './support/fake-providers/fake-openai.js';
import { gatewayBootstrap } from './support/gateway-bootstrap.js';

/**
 * `/v1/responses` (what Codex CLI speaks) through `aigw run`, from the official OpenAI client:
 *
 * - to OpenAI and Azure OpenAI backends it passes through, as upstream does: hosted tools
 *   (`web_search`) and server-side state (`previous_response_id`, `store`) reach the provider
 *   unchanged, and usage is read from the Response and from `response.completed`;
 * - to a backend annotated `aigateway.envoyproxy.io/responses-api: chat` (an OpenAI-compatible
 *   server without the Responses API) it is translated to chat completions: whole and streamed,
 *   a function tool round trip, a `custom` tool round trip (Codex CLI's freeform `apply_patch`),
 *   and `previous_response_id` refused (no response store).
 */
const harness = useHarness();
const key = 'sk-responses-0123';
const azureKey = 'azure-responses-key';
const azureVersion = '2025-04-01-preview';
const models = {
  passthrough: 'gpt-responses-test',
  azure: 'gpt-responses-azure',
  chat: 'gpt-responses-chat',
} as const;
const usage = { input: 11, output: 4 };

const lookupTool = {
  type: 'function' as const,
  name: 'lookup',
  description: 'Looks a thing up',
  strict: false,
  parameters: { type: 'object', properties: { query: { type: 'string' } } },
};

/** The Azure OpenAI backend (api-key auth, an api-version). */
function azureBackendYaml(port: number): string {
  return `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: azure}
spec:
  schema: {name: AzureOpenAI, version: ${azureVersion}}
  backendRef: {name: azure, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: azure}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: ${String(port)}}}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: azure-key}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: azure}]
  type: AzureAPIKey
  azureAPIKey: {secretRef: {name: azure-key}}
---
apiVersion: v1
kind: Secret
metadata: {name: azure-key}
stringData: {apiKey: ${azureKey}}`;
}

/** One route: each model to its backend, all backends on the one fake OpenAI. */
function gatewayYaml(openai: FakeUpstream): string {
  const rule = (model: string, backend: string): string => `
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: ${model}}]}]
      backendRefs: [{name: ${backend}}]`;
  const chatOnly = aiBackendYaml({
    name: 'openai-chat',
    schema: 'OpenAI',
    port: openai.port,
    key,
  }).replace(
    'metadata: {name: openai-chat}',
    'metadata: {name: openai-chat, annotations: {aigateway.envoyproxy.io/responses-api: chat}}',
  );
  return [
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: responses}
spec:
  rules:${rule(models.passthrough, 'openai')}${rule(models.azure, 'azure')}${rule(models.chat, 'openai-chat')}`,
    aiBackendYaml({ name: 'openai', schema: 'OpenAI', port: openai.port, key }),
    azureBackendYaml(openai.port),
    chatOnly,
  ].join('\n---');
}

let aigw: RunningAigw;
let openai: FakeUpstream;
let client: OpenAI;

/** The body of the fake's last request. */
const lastSent = (): Record<string, unknown> =>
  JSON.parse(openai.requests.at(-1)!.body.toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  openai = await harness.upstream(fakeOpenAI({ apiKey: key, azureApiKey: azureKey, usage }), {
    name: 'openai-responses',
  });
  const file = join(harness.tempDir('responses-api'), 'gateway.yaml');
  writeFileSync(file, gatewayYaml(openai));
  aigw = await startAigw({ args: [file] });
  client = new OpenAI({ apiKey: 'unused-client-key', baseURL: `${aigw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await aigw.stop();
});

describe('/v1/responses passed through to OpenAI and Azure OpenAI', () => {
  const model = models.passthrough;

  it('sends the body unchanged (hosted web_search included) and answers with usage', async () => {
    const request = {
      model,
      instructions: 'Be brief.',
      input: [{ role: 'user' as const, content: 'hello' }],
      tools: [{ type: 'web_search' as const }],
      tool_choice: 'none' as const,
      store: true,
      include: ['web_search_call.action.sources' as const],
      reasoning: { effort: 'low' as const },
    };
    const response = await client.responses.create(request);
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_fake/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('You said: hello');
    expect(response.usage).toMatchObject({ input_tokens: 11, output_tokens: 4, total_tokens: 15 });
    const sent = openai.requests.at(-1);
    expect(sent?.url).toBe('/v1/responses');
    expect(sent?.headers.authorization).toBe(`Bearer ${key}`);
    expect(lastSent()).toEqual(request);
  });

  it('streams the provider’s events as they are, ending in response.completed with usage', async () => {
    const stream = await client.responses.create({ model, input: 'stream please', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...types.filter((t) => t === 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events
      .flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []))
      .join('');
    expect(text).toBe('You said: stream please');
    const last = events.at(-1);
    expect(last?.type === 'response.completed' ? last.response.usage : undefined).toMatchObject({
      input_tokens: 11,
      output_tokens: 4,
    });
    expect(lastSent()).toMatchObject({ model, stream: true });
  });

  it('round-trips a function call through previous_response_id, sent unchanged', async () => {
    const tools: Tool[] = [lookupTool, { type: 'web_search' }];
    // The SDK's strict stream helper checks every event against the items it accumulated.
    const first = await client.responses
      .stream({ model, input: 'find cats', tools })
      .finalResponse();
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({
      type: 'function_call',
      call_id: openAIToolCallId,
      name: 'lookup',
      arguments: JSON.stringify({ query: 'find cats' }),
    });
    const second = await client.responses.create({
      model,
      tools,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: openAIToolCallId, output: '3 cats' }],
    });
    expect(second.output_text).toBe('The tool answered: 3 cats');
    expect(second.previous_response_id).toBe(first.id);
    expect(lastSent()).toMatchObject({ previous_response_id: first.id, tools });
  });

  it('ends a stream cut before response.completed in an error the client raises', async () => {
    const stream = await client.responses.create({ model, input: 'cut [[cut]]', stream: true });
    const types: string[] = [];
    const error = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().catch((err: unknown) => err);
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.completed');
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({
      code: 'stream_truncated',
      message: expect.stringContaining("the provider's stream ended before it finished") as unknown,
    });
  });

  it('passes the provider’s error through: an unknown previous_response_id is its 400', async () => {
    const error = await client.responses
      .create({ model, input: 'again', previous_response_id: 'resp_unknown' })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: 'previous_response_not_found',
      param: 'previous_response_id',
      message: expect.stringContaining(
        "Previous response with id 'resp_unknown' not found.",
      ) as unknown,
    });
  });

  it('sends Azure OpenAI /openai/responses?api-version= with its api-key, streamed and not', async () => {
    const response = await client.responses.create({ model: models.azure, input: 'azure' });
    expect(response.output_text).toBe('You said: azure');
    const sent = openai.requests.at(-1);
    expect(sent?.url).toBe(`/openai/responses?api-version=${azureVersion}`);
    expect(sent?.headers['api-key']).toBe(azureKey);
    expect(lastSent()).toMatchObject({ model: models.azure, input: 'azure' });
    const streamed = await client.responses
      .stream({ model: models.azure, input: 'azure stream' })
      .finalResponse();
    expect(streamed.output_text).toBe('You said: azure stream');
    expect(streamed.usage).toMatchObject({ input_tokens: 11, output_tokens: 4 });
  });
});

describe('/v1/responses to a chat-only OpenAI backend (responses-api: chat)', () => {
  const model = models.chat;

  it('answers responses.create with text and usage; the provider got chat completions', async () => {
    const response = await client.responses.create({
      model,
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'sandbox on' },
        { role: 'user', content: 'hello' },
      ],
      store: false,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'thread-1',
      text: { verbosity: 'low' },
      reasoning: { effort: 'low' },
    });
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('You said: hello');
    expect(response.usage).toMatchObject({ input_tokens: 11, output_tokens: 4, total_tokens: 15 });
    const sent = openai.requests.at(-1);
    expect(sent?.url).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe(`Bearer ${key}`);
    expect(lastSent()).toMatchObject({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'sandbox on' },
        { role: 'user', content: 'hello' },
      ],
      reasoning_effort: 'low',
    });
  });

  it('streams the Responses event sequence, ending in response.completed with usage', async () => {
    const stream = await client.responses.create({ model, input: 'stream please', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.output_text.done');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events
      .flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []))
      .join('');
    expect(text).toBe('You said: stream please');
    const last = events.at(-1);
    expect(last?.type === 'response.completed' ? last.response.usage : undefined).toMatchObject({
      input_tokens: 11,
      output_tokens: 4,
    });
    expect(openai.requests.at(-1)?.url).toBe('/v1/chat/completions');
  });

  it('round-trips a function tool call (streamed helper, then the output back)', async () => {
    const tools = [lookupTool];
    const first = await client.responses
      .stream({ model, input: 'find cats', tools })
      .finalResponse();
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({
      type: 'function_call',
      call_id: openAIToolCallId,
      name: 'lookup',
      arguments: JSON.stringify({ query: 'find cats' }),
    });
    const second = await client.responses.create({
      model,
      tools,
      input: [
        { role: 'user', content: 'find cats' },
        ...first.output.filter((item) => item.type === 'function_call'),
        { type: 'function_call_output', call_id: openAIToolCallId, output: '3 cats' },
      ],
    });
    expect(second.output_text).toBe('The tool answered: 3 cats');
    const sent = lastSent() as { messages: unknown[] };
    expect(sent.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: openAIToolCallId,
            type: 'function',
            function: { name: 'lookup', arguments: JSON.stringify({ query: 'find cats' }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: openAIToolCallId, content: '3 cats' },
    ]);
  });

  it('round-trips a custom tool call (Codex apply_patch) as a chat function tool', async () => {
    const tools = [
      {
        type: 'custom' as const,
        name: 'apply_patch',
        description: 'Edits files with a patch.',
        format: {
          type: 'grammar' as const,
          syntax: 'lark' as const,
          definition: 'start: "*** Begin Patch" LF hunk+ "*** End Patch" LF?',
        },
      },
    ];
    const first = await client.responses.create({ model, input: 'add hello.txt', tools });
    // The fake model answers {"query": …}, not {"input": …}: the raw arguments become the input.
    const input = JSON.stringify({ query: 'add hello.txt' });
    expect(first.output).toEqual([
      {
        type: 'custom_tool_call',
        id: `ctc_${openAIToolCallId}`,
        call_id: openAIToolCallId,
        name: 'apply_patch',
        input,
        status: 'completed',
      },
    ]);
    const offered = lastSent() as { tools: unknown[] };
    expect(offered.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'apply_patch',
          description: 'Edits files with a patch.',
          parameters: {
            type: 'object',
            properties: {
              input: {
                type: 'string',
                description: expect.stringContaining('*** Begin Patch') as unknown,
              },
            },
            required: ['input'],
            additionalProperties: false,
          },
        },
      },
    ]);
    // Streamed through the SDK's strict helper: the input arrives as custom_tool_call_input events.
    const stream = client.responses.stream({ model, input: 'add hello.txt', tools });
    const deltas: string[] = [];
    stream.on('response.custom_tool_call_input.delta', (event) => deltas.push(event.delta));
    const streamed = await stream.finalResponse();
    expect(streamed.output).toEqual(first.output);
    expect(deltas.join('')).toBe(input);

    const second = await client.responses.create({
      model,
      tools,
      input: [
        { role: 'user', content: 'add hello.txt' },
        ...first.output.filter((item) => item.type === 'custom_tool_call'),
        { type: 'custom_tool_call_output', call_id: openAIToolCallId, output: 'Done!' },
      ],
    });
    expect(second.output_text).toBe('The tool answered: Done!');
    const sent = lastSent() as { messages: unknown[] };
    expect(sent.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: openAIToolCallId,
            type: 'function',
            function: { name: 'apply_patch', arguments: JSON.stringify({ input }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: openAIToolCallId, content: 'Done!' },
    ]);
  });

  it('refuses previous_response_id with a 400 (no response store)', async () => {
    const before = openai.requests.length;
    const error = await client.responses
      .create({ model, input: 'again', previous_response_id: 'resp_earlier' })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as APIError).message).toMatch(/previous_response_id/);
    expect(openai.requests.length).toBe(before);
  });
});

/** Count and sum over every series of a histogram whose labels include `labels`. */
function totals(
  families: readonly PrometheusFamily[],
  name: string,
  labels: Readonly<Record<string, string>>,
): { count: number; sum: number } {
  const samples = families.find((f) => f.name === name)?.samples ?? [];
  const matching = (suffix: string): number =>
    samples
      .filter(
        (s) =>
          s.name === `${name}_${suffix}` &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )
      .reduce((n, s) => n + s.value, 0);
  return { count: matching('count'), sum: matching('sum') };
}

describe('/v1/responses passthrough usage in the GenAI metrics (real Envoy, in-process extproc)', () => {
  const metrics = new GenAiMetrics();
  let extproc: TestExtProc;
  let metered: OpenAI;
  const backendName = 'default/openai/route/metered/rule/0/ref/0';
  const model = 'gpt-metered';

  beforeAll(async () => {
    const dir = harness.tempDir('responses-metrics');
    writeFileSync(join(dir, 'openai-key'), `${key}\n`);
    const upstream = await harness.upstream(
      fakeOpenAI({ apiKey: key, azureApiKey: 'unused', usage: { input: 23, output: 9 } }),
      { name: 'openai-metered' },
    );
    extproc = await startTestExtProc({
      dir,
      metrics,
      config: {
        version: 'v1',
        backends: [
          {
            name: backendName,
            schema: { name: 'OpenAI' },
            auth: { apiKey: { file: join(dir, 'openai-key') } },
          },
        ],
        routes: { rules: [{ models: [model], cluster: 'openai' }] },
      },
    });
    const envoy = await harness.envoy({
      bootstrap: gatewayBootstrap({
        extprocSocket: extproc.socket,
        accessLogPath: join(dir, 'access.log'),
        backends: [{ cluster: 'openai', backendName, upstream }],
      }),
    });
    metered = new OpenAI({
      apiKey: 'client-key',
      baseURL: `${await envoy.listenerUrl('ingress')}/v1`,
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await extproc.stop();
  });

  it('counts the provider’s input and output tokens, whole and streamed', async () => {
    expect((await metered.responses.create({ model, input: 'count me' })).output_text).toBe(
      'You said: count me',
    );
    const streamed = await metered.responses.stream({ model, input: 'count me' }).finalResponse();
    expect(streamed.output_text).toBe('You said: count me');

    const labels = { gen_ai_operation_name: 'responses', gen_ai_request_model: model };
    const families = await waitFor(
      async () => {
        const parsed = await parsePrometheusText((await metrics.text()).body);
        const done = totals(parsed, 'gen_ai_server_request_duration_seconds', labels).count;
        return done >= 2 ? parsed : undefined;
      },
      { timeoutMs: 10_000, description: 'two Responses requests in the GenAI metrics' },
    );
    const tokens = (type: string) =>
      totals(families, 'gen_ai_client_token_usage', { ...labels, gen_ai_token_type: type });
    expect(tokens('input')).toEqual({ count: 2, sum: 2 * 23 });
    expect(tokens('output')).toEqual({ count: 2, sum: 2 * 9 });
    expect(totals(families, 'gen_ai_server_time_to_first_token_seconds', labels).count).toBe(1);
  });
});
