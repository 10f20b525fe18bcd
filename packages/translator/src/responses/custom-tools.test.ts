import { describe, expect, it } from 'vitest';
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import type { Translator } from '../translator.js';
import { feedChunked } from '../testing/conformance.js';

/** Codex CLI's freeform `apply_patch` tool (grammar shortened). */
const applyPatch = {
  type: 'custom',
  name: 'apply_patch',
  description: 'Use the `apply_patch` tool to edit files.',
  format: {
    type: 'grammar',
    syntax: 'lark',
    definition: 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF',
  },
};
const notes = { type: 'custom', name: 'notes', format: { type: 'text' } };
const shell = {
  type: 'function',
  name: 'shell',
  parameters: { type: 'object', properties: { cmd: { type: 'string' } } },
};
const patch = '*** Begin Patch\n*** Add File: hello.txt\n+Hello, "world" 😀\n*** End Patch\n';

function translatorFor(body: Record<string, unknown>): { t: Translator; sent: unknown } {
  const t = createTranslator({
    endpoint: 'responses',
    schema: { name: 'OpenAI', responsesApi: 'chat' },
  });
  const request = parseRequest('responses', utf8Encoder.encode(JSON.stringify(body)));
  const out = t.request({ request, path: '/v1/responses' });
  return { t, sent: JSON.parse(utf8Decoder.decode(out.body)) };
}

function refusal(body: Record<string, unknown>): string {
  try {
    translatorFor({ model: 'm', input: 'hi', ...body });
  } catch (err) {
    expect(isUserFacing(err) && err.status === 400).toBe(true);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('responses → chat: custom tools (request)', () => {
  it('offers custom tools as function tools with one string parameter, input', () => {
    const { sent } = translatorFor({
      model: 'gpt-5-codex',
      input: 'add hello.txt',
      tools: [shell, applyPatch, notes],
      tool_choice: { type: 'custom', name: 'apply_patch' },
    });
    expect(sent).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'apply_patch' } },
      tools: [
        { type: 'function', function: { name: 'shell' } },
        {
          type: 'function',
          function: {
            name: 'apply_patch',
            description: 'Use the `apply_patch` tool to edit files.',
            parameters: {
              type: 'object',
              properties: {
                input: {
                  type: 'string',
                  description:
                    'The free-form input of the tool, as plain text (not JSON). It must follow ' +
                    `this lark grammar exactly:\n${applyPatch.format.definition}`,
                },
              },
              required: ['input'],
              additionalProperties: false,
            },
          },
        },
        {
          type: 'function',
          function: {
            name: 'notes',
            parameters: {
              properties: {
                input: {
                  type: 'string',
                  description: 'The free-form input of the tool, as plain text (not JSON).',
                },
              },
              required: ['input'],
            },
          },
        },
      ],
    });
  });

  it('turns custom_tool_call and its output into an assistant tool call and a tool message', () => {
    const { sent } = translatorFor({
      model: 'gpt-5-codex',
      tools: [applyPatch],
      input: [
        { type: 'message', role: 'user', content: 'add hello.txt' },
        {
          type: 'custom_tool_call',
          id: 'ctc_call_7',
          status: 'completed',
          call_id: 'call_7',
          name: 'apply_patch',
          input: patch,
        },
        { type: 'custom_tool_call_output', call_id: 'call_7', output: 'Done!' },
        {
          type: 'custom_tool_call_output',
          call_id: 'call_8',
          output: [
            { type: 'input_text', text: 'also ' },
            { type: 'input_text', text: 'done' },
          ],
        },
      ],
    });
    expect((sent as { messages: unknown }).messages).toEqual([
      { role: 'user', content: 'add hello.txt' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_7',
            type: 'function',
            function: { name: 'apply_patch', arguments: JSON.stringify({ input: patch }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_7', content: 'Done!' },
      { role: 'tool', tool_call_id: 'call_8', content: 'also done' },
    ]);
  });

  it.each([
    [{ tools: [{ type: 'mcp' }] }, /"mcp".*hosted.*not available through a chat/],
    [
      { tools: [{ type: 'file_search', vector_store_ids: [] }] },
      /tools\[0\]: tool type "file_search"/,
    ],
    [{ tools: [{ type: 'namespace' }] }, /tools\[0\]\.name must be a non-empty string/],
    [{ tools: [{ ...notes, format: { type: 'regex' } }] }, /tools\[0\]\.format\.type "regex"/],
    [{ tools: [{ ...applyPatch, format: { type: 'grammar' } }] }, /format\.syntax/],
    [{ tools: [shell, { ...notes, name: 'shell' }] }, /custom tool name "shell"/],
    [
      { input: [{ type: 'custom_tool_call', call_id: 'c', name: 'apply_patch' }] },
      /input\[0\]\.input must be a string/,
    ],
  ])('refuses %j with a 400 naming it', (body, message) => {
    expect(refusal(body)).toMatch(message);
  });
});

/** A chat completion whose assistant message calls `name` with `args`. */
function completion(calls: readonly { id: string; name: string; args: string }[]): unknown {
  return {
    id: 'chatcmpl-c',
    object: 'chat.completion',
    created: 1700000000,
    model: 'gpt-5-codex',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          tool_calls: calls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.args },
          })),
        },
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  };
}

describe('responses → chat: custom tools (JSON response)', () => {
  it('turns calls of custom tools into custom_tool_call items, others stay function calls', () => {
    const { t } = translatorFor({ model: 'm', input: 'go', tools: [shell, applyPatch, notes] });
    const body = completion([
      { id: 'call_1', name: 'apply_patch', args: JSON.stringify({ input: patch }) },
      { id: 'call_2', name: 'shell', args: '{"cmd":"ls"}' },
      { id: 'call_3', name: 'notes', args: '{"text":"not the input shape"}' },
    ]);
    const got = feedChunked({
      translator: t,
      wire: { contentType: 'application/json', body: utf8Encoder.encode(JSON.stringify(body)) },
      chunkSize: 7,
    });
    expect((JSON.parse(utf8Decoder.decode(got.body)) as { output: unknown }).output).toEqual([
      {
        type: 'custom_tool_call',
        id: 'ctc_call_1',
        call_id: 'call_1',
        name: 'apply_patch',
        input: patch,
        status: 'completed',
      },
      {
        type: 'function_call',
        id: 'fc_call_2',
        call_id: 'call_2',
        name: 'shell',
        arguments: '{"cmd":"ls"}',
        status: 'completed',
      },
      {
        type: 'custom_tool_call',
        id: 'ctc_call_3',
        call_id: 'call_3',
        name: 'notes',
        input: '{"text":"not the input shape"}',
        status: 'completed',
      },
    ]);
  });
});

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  const body = {
    id: 'chatcmpl-s',
    object: 'chat.completion.chunk',
    created: 1700000001,
    model: 'gpt-5-codex',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** The arguments JSON in 5-character fragments (splitting escapes and the emoji's \u pair). */
function argumentChunks(index: number, args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 5) {
    out.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(i, i + 5) } }] }));
  }
  return out;
}

const patchArgs = JSON.stringify({ input: patch }).replace('😀', '\\ud83d\\ude00');
const streamBody = [
  chunk({ role: 'assistant', content: 'Patching.' }),
  chunk({
    tool_calls: [
      {
        index: 0,
        id: 'call_p',
        type: 'function',
        function: { name: 'apply_patch', arguments: '' },
      },
    ],
  }),
  ...argumentChunks(0, patchArgs),
  chunk({
    tool_calls: [{ index: 1, id: 'call_n', type: 'function', function: { name: 'notes' } }],
  }),
  ...argumentChunks(1, '{"note":1}'),
  chunk({}, 'tool_calls'),
  `data: ${JSON.stringify({ id: 'chatcmpl-s', choices: [], usage: { prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 } })}\n\n`,
  'data: [DONE]\n\n',
].join('');

function streamedEvents(chunkSize: number): Record<string, unknown>[] {
  const { t } = translatorFor({
    model: 'm',
    input: 'go',
    stream: true,
    tools: [applyPatch, notes],
  });
  const got = feedChunked({
    translator: t,
    wire: { contentType: 'text/event-stream', body: utf8Encoder.encode(streamBody) },
    chunkSize,
  });
  return utf8Decoder
    .decode(got.body)
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      const [event, data] = frame.split('\n');
      const json = JSON.parse(String(data).slice('data: '.length)) as Record<string, unknown>;
      expect(event).toBe(`event: ${String(json.type)}`);
      return json;
    });
}

describe('responses → chat: custom tools (stream)', () => {
  it.each([Infinity, 7])(
    'streams custom_tool_call items with input deltas and done events (chunks of %d bytes)',
    (size) => {
      const list = streamedEvents(size);
      expect(list).toEqual(streamedEvents(Infinity));
      expect(list.map((e) => e.sequence_number)).toEqual(list.map((_, i) => i));
      const types = [...new Set(list.map((e) => e.type))];
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.custom_tool_call_input.delta',
        'response.custom_tool_call_input.done',
        'response.completed',
      ]);
      const added = list.filter((e) => e.type === 'response.output_item.added');
      expect(added.slice(1)).toEqual([
        expect.objectContaining({
          output_index: 1,
          item: {
            type: 'custom_tool_call',
            id: 'ctc_call_p',
            call_id: 'call_p',
            name: 'apply_patch',
            input: '',
            status: 'in_progress',
          },
        }),
        expect.objectContaining({
          output_index: 2,
          item: expect.objectContaining({ type: 'custom_tool_call', id: 'ctc_call_n' }) as unknown,
        }),
      ]);
      // The patch streams as it is decoded, in more than one delta; the raw fallback in one.
      const deltas = (id: string): string[] =>
        list.flatMap((e) =>
          e.type === 'response.custom_tool_call_input.delta' && e.item_id === id
            ? [String(e.delta)]
            : [],
        );
      expect(deltas('ctc_call_p').length).toBeGreaterThan(5);
      expect(deltas('ctc_call_p').join('')).toBe(patch);
      expect(deltas('ctc_call_n')).toEqual(['{"note":1}']);
      const done = list.filter((e) => e.type === 'response.custom_tool_call_input.done');
      expect(done).toEqual([
        expect.objectContaining({ item_id: 'ctc_call_p', output_index: 1, input: patch }),
        expect.objectContaining({ item_id: 'ctc_call_n', output_index: 2, input: '{"note":1}' }),
      ]);
      expect(list.at(-1)).toMatchObject({
        type: 'response.completed',
        response: {
          output: [
            { type: 'message', content: [{ type: 'output_text', text: 'Patching.' }] },
            {
              type: 'custom_tool_call',
              id: 'ctc_call_p',
              call_id: 'call_p',
              name: 'apply_patch',
              input: patch,
              status: 'completed',
            },
            { type: 'custom_tool_call', call_id: 'call_n', input: '{"note":1}' },
          ],
          usage: { input_tokens: 4, output_tokens: 9 },
        },
      });
    },
  );
});

/** Codex CLI's `multi_agent_v1` namespace (shortened) and its always-offered web search. */
const agents = {
  type: 'namespace',
  name: 'multi_agent_v1',
  description: 'Tools for spawning and managing sub-agents.',
  tools: [
    {
      type: 'function',
      name: 'close_agent',
      parameters: { type: 'object', properties: { target: { type: 'string' } } },
    },
    { type: 'custom', name: 'note', format: { type: 'text' } },
  ],
};
const webSearch = { type: 'web_search', external_web_access: true };

describe('responses → chat: namespace tools and dropped hosted tools', () => {
  it('flattens a namespace into <namespace>__<name> functions and drops web_search', () => {
    const { sent } = translatorFor({
      model: 'm',
      input: [
        { type: 'message', role: 'user', content: 'close it' },
        {
          type: 'function_call',
          call_id: 'call_0',
          namespace: 'multi_agent_v1',
          name: 'close_agent',
          arguments: '{"target":"a1"}',
        },
        { type: 'function_call_output', call_id: 'call_0', output: 'closed' },
      ],
      tools: [shell, agents, webSearch],
    });
    expect(sent).toMatchObject({
      tools: [
        { type: 'function', function: { name: 'shell' } },
        { type: 'function', function: { name: 'multi_agent_v1__close_agent' } },
        { type: 'function', function: { name: 'multi_agent_v1__note' } },
      ],
      messages: [
        { role: 'user' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'call_0', function: { name: 'multi_agent_v1__close_agent' } }],
        },
        { role: 'tool', tool_call_id: 'call_0', content: 'closed' },
      ],
    });
    expect((sent as { tools: unknown[] }).tools).toHaveLength(3);
  });

  it('sends no tools when web search was the only one, and still refuses other hosted tools', () => {
    const { sent } = translatorFor({ model: 'm', input: 'hi', tools: [webSearch] });
    expect(sent).not.toHaveProperty('tools');
    expect(refusal({ tools: [{ type: 'file_search', vector_store_ids: ['vs'] }] })).toMatch(
      /tools\[0\]: tool type "file_search" is not supported: it is a hosted/,
    );
    expect(refusal({ tools: [{ type: 'namespace', name: 'n', tools: [webSearch] }] })).toMatch(
      /tools\[0\]\.tools\[0\]: tool type "web_search" is not supported: only function and custom/,
    );
  });

  it('names the namespace again on calls of its tools (JSON and stream)', () => {
    const { t } = translatorFor({ model: 'm', input: 'go', tools: [agents] });
    const body = completion([
      { id: 'call_1', name: 'multi_agent_v1__close_agent', args: '{"target":"a1"}' },
      { id: 'call_2', name: 'multi_agent_v1__note', args: JSON.stringify({ input: 'hi' }) },
    ]);
    const got = feedChunked({
      translator: t,
      wire: { contentType: 'application/json', body: utf8Encoder.encode(JSON.stringify(body)) },
      chunkSize: 7,
    });
    expect((JSON.parse(utf8Decoder.decode(got.body)) as { output: unknown }).output).toEqual([
      {
        type: 'function_call',
        id: 'fc_call_1',
        call_id: 'call_1',
        name: 'close_agent',
        namespace: 'multi_agent_v1',
        arguments: '{"target":"a1"}',
        status: 'completed',
      },
      {
        type: 'custom_tool_call',
        id: 'ctc_call_2',
        call_id: 'call_2',
        name: 'note',
        namespace: 'multi_agent_v1',
        input: 'hi',
        status: 'completed',
      },
    ]);
    const streamed = translatorFor({ model: 'm', input: 'go', stream: true, tools: [agents] }).t;
    const sse = [
      chunk({
        tool_calls: [
          {
            index: 0,
            id: 'call_s',
            type: 'function',
            function: { name: 'multi_agent_v1__close_agent', arguments: '{"target":"x"}' },
          },
        ],
      }),
      chunk({}, 'tool_calls'),
      'data: [DONE]\n\n',
    ].join('');
    const out = utf8Decoder.decode(
      feedChunked({
        translator: streamed,
        wire: { contentType: 'text/event-stream', body: utf8Encoder.encode(sse) },
        chunkSize: 7,
      }).body,
    );
    const done = out
      .split('\n\n')
      .map((frame) => frame.split('\n')[1] ?? '')
      .filter((data) => data.includes('"response.output_item.done"'))
      .map((data) => JSON.parse(data.slice('data: '.length)) as { item: unknown });
    expect(done.map((e) => e.item)).toEqual([
      expect.objectContaining({
        type: 'function_call',
        name: 'close_agent',
        namespace: 'multi_agent_v1',
        arguments: '{"target":"x"}',
      }),
    ]);
  });
});
