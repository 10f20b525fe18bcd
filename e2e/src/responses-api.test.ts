import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestError, OpenAI } from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type FakeUpstream } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { fakeOpenAI, openAIToolCallId } from './support/fake-providers/fake-openai.js';

/**
 * `/v1/responses` (what Codex CLI speaks) through `aigw run` to a provider that only speaks chat
 * completions: the official OpenAI client's `responses.create`, whole and streamed, a function
 * tool round trip, a `custom` tool round trip (Codex CLI's freeform `apply_patch`), and
 * `previous_response_id` refused (no response store).
 */
const harness = useHarness();
const key = 'sk-responses-0123';
const model = 'gpt-responses-test';

describe('/v1/responses to a chat-only OpenAI backend', () => {
  let aigw: RunningAigw;
  let openai: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    openai = await harness.upstream(
      fakeOpenAI({ apiKey: key, azureApiKey: 'unused', usage: { input: 11, output: 4 } }),
      { name: 'openai-chat-only' },
    );
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: responses}
spec:
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: ${model}}]}]
      backendRefs: [{name: openai}]`,
      aiBackendYaml({ name: 'openai', schema: 'OpenAI', port: openai.port, key }),
    ].join('\n---');
    const file = join(harness.tempDir('responses-api'), 'gateway.yaml');
    writeFileSync(file, yaml);
    aigw = await startAigw({ args: [file] });
    client = new OpenAI({ apiKey: 'unused-client-key', baseURL: `${aigw.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await aigw.stop();
  });

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
    expect(JSON.parse(sent!.body.toString('utf8'))).toMatchObject({
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
  });

  it('round-trips a function tool call (streamed helper, then the output back)', async () => {
    const tools = [
      {
        type: 'function' as const,
        name: 'lookup',
        description: 'Looks a thing up',
        strict: false,
        parameters: { type: 'object', properties: { query: { type: 'string' } } },
      },
    ];
    // The SDK's stream helper checks every event against the items it has accumulated.
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
    const sent = JSON.parse(openai.requests.at(-1)!.body.toString('utf8')) as {
      messages: unknown[];
    };
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
    const offered = JSON.parse(openai.requests.at(-1)!.body.toString('utf8')) as {
      tools: unknown[];
    };
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
    const sent = JSON.parse(openai.requests.at(-1)!.body.toString('utf8')) as {
      messages: unknown[];
    };
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
    expect((error as BadRequestError).message).toMatch(/previous_response_id/);
    expect(openai.requests.length).toBe(before);
  });
});
