import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { createGeminiToOpenAITranslator } from './openai.js';
import { jsonSchemaOf } from './to-openai-request.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function start(value: unknown, stream = false) {
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  const path = `/v1beta/models/gpt-4o-mini:${method}`;
  const request = parseRequest('gemini-generate-content', encoder.encode(JSON.stringify(value)), {
    path,
  });
  const translator = createGeminiToOpenAITranslator({ schema: { name: 'OpenAI' } });
  const translated = translator.request({ request, path });
  const sent = JSON.parse(decoder.decode(translated.body)) as Record<string, unknown>;
  return { translator, translated, sent };
}

/** What the Gemini CLI sends: system instruction, tools, a function call round trip, config. */
const cliRequest = {
  contents: [
    { role: 'user', parts: [{ text: 'List the files' }] },
    {
      role: 'model',
      parts: [
        { text: 'thinking…', thought: true, thoughtSignature: 'sig' },
        { functionCall: { name: 'list_directory', args: { path: '.' } } },
      ],
    },
    {
      role: 'user',
      parts: [{ functionResponse: { name: 'list_directory', response: { output: 'a.txt' } } }],
    },
  ],
  systemInstruction: { role: 'user', parts: [{ text: 'You are a CLI.' }] },
  tools: [
    {
      functionDeclarations: [
        {
          name: 'list_directory',
          description: 'Lists a directory',
          parametersJsonSchema: { type: 'object', properties: { path: { type: 'string' } } },
        },
        {
          name: 'old_style',
          parameters: { type: 'OBJECT', properties: { n: { type: 'INTEGER', nullable: true } } },
        },
      ],
    },
  ],
  generationConfig: {
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxOutputTokens: 100,
    stopSequences: ['END'],
    thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
  },
};

describe('gemini → openai: request', () => {
  it('translates contents, roles, function calls and results, tools and the config', () => {
    const { translated, sent } = start(cliRequest, true);
    expect(translated.path).toBe('/v1/chat/completions');
    expect(translated.headers.remove).toContain('x-goog-api-key');
    expect(sent).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a CLI.' },
        { role: 'user', content: 'List the files' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1_0',
              type: 'function',
              function: { name: 'list_directory', arguments: '{"path":"."}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1_0', content: 'a.txt' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'list_directory',
            description: 'Lists a directory',
            parameters: { type: 'object', properties: { path: { type: 'string' } } },
          },
        },
        {
          type: 'function',
          function: {
            name: 'old_style',
            parameters: { type: 'object', properties: { n: { type: ['integer', 'null'] } } },
          },
        },
      ],
      temperature: 1,
      top_p: 0.95,
      max_completion_tokens: 100,
      stop: ['END'],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('pairs results with calls by Gemini id when the client sends ids', () => {
    const { sent } = start({
      contents: [
        { role: 'user', parts: [{ text: 'go' }] },
        {
          role: 'model',
          parts: [
            { functionCall: { id: 'a', name: 'f', args: {} } },
            { functionCall: { id: 'b', name: 'f', args: {} } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'b', name: 'f', response: { result: 2 } } },
            { functionResponse: { id: 'a', name: 'f', response: { output: 'one' } } },
          ],
        },
      ],
    });
    expect((sent.messages as unknown[]).slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'b', content: '{"result":2}' },
      { role: 'tool', tool_call_id: 'a', content: 'one' },
    ]);
  });

  it('maps tool config, JSON output, images and PDFs', () => {
    const { sent } = start({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'see' },
            { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
            { inlineData: { mimeType: 'application/pdf', data: 'BBBB' } },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } },
      generationConfig: {
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING' } } },
      },
    });
    expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(sent.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'response',
        schema: { type: 'object', properties: { a: { type: 'string' } } },
      },
    });
    expect((sent.messages as { content: unknown }[])[0]?.content).toEqual([
      { type: 'text', text: 'see' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      {
        type: 'file',
        file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,BBBB' },
      },
    ]);
  });

  it.each([
    [{ cachedContent: 'cachedContents/x' }, /cachedContent/],
    [{ tools: [{ googleSearch: {} }] }, /googleSearch/],
    [{ generationConfig: { responseModalities: ['IMAGE'] } }, /responseModalities/],
    [
      {
        contents: [
          { role: 'model', parts: [{ functionCall: { name: 'f' } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'g', response: {} } }] },
        ],
      },
      /no earlier functionCall of "g"/,
    ],
    [{ contents: [] }, /at least one Content/],
  ])('refuses what OpenAI cannot do: %j', (extra, message) => {
    const value = { contents: [{ role: 'user', parts: [{ text: 'x' }] }], ...extra };
    expect(() => start(value)).toThrow(MalformedRequestError);
    expect(() => start(value)).toThrow(message);
  });

  it('lowers OpenAPI schema types recursively', () => {
    expect(jsonSchemaOf({ type: 'ARRAY', items: { type: 'NUMBER' } })).toEqual({
      type: 'array',
      items: { type: 'number' },
    });
  });
});

describe('gemini → openai: responses', () => {
  it('converts a completion: text, reasoning, tool calls, finish reason, usage', () => {
    const { translator } = start(cliRequest);
    translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const completion = {
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini-2024',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Reading.',
            reasoning_content: 'I should list.',
            tool_calls: [
              { id: 'call_9', type: 'function', function: { name: 'read', arguments: '{"f":1}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 50,
        completion_tokens: 20,
        total_tokens: 70,
        prompt_tokens_details: { cached_tokens: 30 },
        completion_tokens_details: { reasoning_tokens: 8 },
      },
    };
    const result = translator.responseBody(encoder.encode(JSON.stringify(completion)), true);
    expect(JSON.parse(decoder.decode(result.body))).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'I should list.', thought: true },
              { text: 'Reading.' },
              { functionCall: { id: 'call_9', name: 'read', args: { f: 1 } } },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 50,
        candidatesTokenCount: 12,
        thoughtsTokenCount: 8,
        cachedContentTokenCount: 30,
        totalTokenCount: 70,
      },
      modelVersion: 'gpt-4o-mini-2024',
      responseId: 'chatcmpl-1',
    });
    expect(result.usage).toMatchObject({
      inputTokens: 50,
      outputTokens: 20,
      cachedInputTokens: 30,
    });
  });

  it('streams text as Gemini frames, gathers tool call deltas into the last frame', () => {
    const { translator } = start(cliRequest, true);
    translator.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const chunk = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
    const base = { id: 'c1', model: 'gpt-4o-mini' };
    const upstream =
      chunk({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' } }] }) +
      chunk({
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: 'call_1', function: { name: 'ls', arguments: '{"p"' } }],
            },
          },
        ],
      }) +
      chunk({
        ...base,
        choices: [
          { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] } },
        ],
      }) +
      chunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) +
      chunk({
        ...base,
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
      }) +
      'data: [DONE]\n\n';
    const out = decoder.decode(translator.responseBody(encoder.encode(upstream), true).body);
    const frames = out
      .split('\r\n\r\n')
      .filter((f) => f !== '')
      .map((f) => JSON.parse(f.replace(/^data: /, '')) as Record<string, unknown>);
    expect(frames).toEqual([
      {
        candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, index: 0 }],
        modelVersion: 'gpt-4o-mini',
        responseId: 'c1',
      },
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [{ functionCall: { id: 'call_1', name: 'ls', args: { p: 1 } } }],
            },
            index: 0,
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
        modelVersion: 'gpt-4o-mini',
        responseId: 'c1',
      },
    ]);
  });

  it('ends a cut stream with one Google error line, and maps errors to Google’s format', () => {
    const { translator } = start(cliRequest, true);
    translator.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const cut = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
    const out = decoder.decode(translator.responseBody(encoder.encode(cut), true).body);
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ error: { code: 502 } });

    const error = translator.responseError(
      429,
      new Map(),
      encoder.encode('{"error":{"message":"slow down","type":"rate_limit_error"}}'),
    );
    expect(JSON.parse(decoder.decode(error.body))).toEqual({
      error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' },
    });
  });
});
