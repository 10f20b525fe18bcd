import type { ResponseBodyResult, Usage } from '@aigw/translator';
import { describe, expect, it } from 'vitest';

import {
  budgetExceededCode,
  budgetExceededFrame,
  frameTextBytes,
  hardAllowance,
  HardCut,
  type HardCutOptions,
} from './hard-cut.js';

const hourly = { tokens: 1000, windowSeconds: 3600, reserves: false };
const headers = (limit: string, remaining: string): Map<string, string> =>
  new Map([
    ['x-ratelimit-limit', limit],
    ['x-ratelimit-remaining', remaining],
    ['x-ratelimit-reset', '60'],
  ]);

describe('hardAllowance: what the budget had left when the request was admitted', () => {
  it.each([
    {
      title: 'the remaining of a hard limit',
      limit: '1000, 1000;w=3600',
      hardLimits: [hourly],
      allowance: 400,
    },
    {
      title: 'plus its own reservation when the closest limit is hard and reserves',
      limit: '1000, 1000;w=3600',
      hardLimits: [{ ...hourly, reserves: true }],
      allowance: 400 + 120,
    },
    {
      title: 'the smallest remaining when a soft limit is closer (every hard limit stays within)',
      limit: '500, 1000;w=3600, 500;w=60',
      hardLimits: [{ ...hourly, reserves: true }],
      allowance: 400,
    },
    {
      title: 'none when the hard limit is not among the request’s descriptors',
      limit: '500, 500;w=60',
      hardLimits: [hourly],
      allowance: undefined,
    },
    {
      title: 'none for a limit of the same size but another window',
      limit: '1000, 1000;w=60',
      hardLimits: [hourly],
      allowance: undefined,
    },
    {
      title: 'none without hard limits',
      limit: '1000, 1000;w=3600',
      hardLimits: [],
      allowance: undefined,
    },
  ])('$title', ({ limit, hardLimits, allowance }) => {
    expect(hardAllowance({ headers: headers(limit, '400'), hardLimits, reservedTokens: 120 })).toBe(
      allowance,
    );
  });

  it('is none when the response carries no draft headers', () => {
    expect(
      hardAllowance({ headers: new Map(), hardLimits: [hourly], reservedTokens: 1 }),
    ).toBeUndefined();
  });
});

describe('budgetExceededFrame: the error event in the client’s dialect', () => {
  it('OpenAI: a data event with an error object (the openai SDK raises an APIError)', () => {
    const frame = budgetExceededFrame('openai');
    expect(frame).toMatch(/^data: \{.*\}\n\n$/);
    expect(JSON.parse(frame.slice('data: '.length))).toEqual({
      error: {
        message: expect.stringContaining('token budget') as string,
        type: 'rate_limit_error',
        param: null,
        code: budgetExceededCode,
      },
    });
  });

  it('Anthropic: `event: error` with a rate_limit_error (the Anthropic SDK raises)', () => {
    const frame = budgetExceededFrame('anthropic');
    const [event, data] = frame.trimEnd().split('\n');
    expect(event).toBe('event: error');
    expect(JSON.parse(data?.slice('data: '.length) ?? '')).toEqual({
      type: 'error',
      error: {
        type: 'rate_limit_error',
        message: expect.stringContaining('token budget') as string,
      },
    });
  });
});

const openAIFrame = (delta: Record<string, unknown>): string =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`;
const geminiFrame = (text: string): string =>
  `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] } }] })}\r\n\r\n`;
const anthropicFrame = (event: Record<string, unknown>): string =>
  `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;

describe('frameTextBytes: the generated text of one event', () => {
  it.each([
    { title: 'OpenAI content', frame: openAIFrame({ content: 'héllo' }), bytes: 6 },
    {
      title: 'OpenAI reasoning and tool-call arguments',
      frame: openAIFrame({
        reasoning_content: 'abc',
        tool_calls: [{ index: 0, function: { name: 'f', arguments: '{"a":1}' } }],
      }),
      bytes: 3 + 1 + 7,
    },
    {
      title: 'OpenAI completions text',
      frame: `data: {"choices":[{"text":"abcd"}]}\n\n`,
      bytes: 4,
    },
    { title: 'OpenAI [DONE]', frame: 'data: [DONE]\n\n', bytes: 0 },
    {
      title: 'Anthropic text delta',
      frame: anthropicFrame({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'hey' },
      }),
      bytes: 3,
    },
    {
      title: 'Anthropic thinking delta',
      frame: anthropicFrame({
        type: 'content_block_delta',
        delta: { type: 'thinking_delta', thinking: 'hmm' },
      }),
      bytes: 3,
    },
    {
      title: 'Anthropic tool input',
      frame: anthropicFrame({
        type: 'content_block_delta',
        delta: { type: 'input_json_delta', partial_json: '{"x"' },
      }),
      bytes: 4,
    },
    { title: 'Anthropic ping', frame: anthropicFrame({ type: 'ping' }), bytes: 0 },
  ])('$title: $bytes bytes', ({ frame, bytes }) => {
    const dialect = frame.startsWith('event:') ? 'anthropic' : 'openai';
    expect(frameTextBytes(dialect, frame)).toBe(bytes);
  });

  it('Gemini: the candidates’ text and function calls', () => {
    expect(frameTextBytes('gemini', geminiFrame('héllo'))).toBe(6);
    const call = { functionCall: { name: 'f', args: { a: 1 } } };
    const frame = `data: ${JSON.stringify({ candidates: [{ content: { parts: [call] } }] })}\n\n`;
    expect(frameTextBytes('gemini', frame)).toBe(JSON.stringify(call.functionCall).length);
  });
});

const encoder = new TextEncoder();
const options = (overrides: Partial<HardCutOptions> = {}): HardCutOptions => ({
  dialect: 'openai',
  allowance: 50,
  inputTokens: 10,
  bytesPerToken: 1,
  ...overrides,
});
/** A provider chunk forwarded unchanged by the translator (a passthrough). */
const passthrough = (usage?: Usage): ResponseBodyResult => ({
  body: undefined,
  usage,
  responseModel: undefined,
});
const text = (result: ResponseBodyResult): string => new TextDecoder().decode(result.body);

function cutOf(overrides: Partial<HardCutOptions> = {}): HardCut {
  const cut = HardCut.of(options(overrides));
  if (!cut) throw new Error('expected a counter');
  return cut;
}

describe('HardCut: counting a stream as it is served', () => {
  it('leaves a stream under the allowance untouched (the same result, chunk by chunk)', () => {
    const cut = cutOf();
    for (const frame of [
      openAIFrame({ role: 'assistant' }),
      openAIFrame({ content: 'x'.repeat(20) }),
    ]) {
      const result = passthrough();
      expect(cut.chunk(result, { original: encoder.encode(frame), endOfStream: false })).toBe(
        result,
      );
    }
    const done = passthrough();
    expect(
      cut.chunk(done, { original: encoder.encode('data: [DONE]\n\n'), endOfStream: true }),
    ).toBe(done);
    expect(cut.isCut).toBe(false);
    expect(cut.servedTokens).toBe(10 + 20);
  });

  it('cuts before the event that would pass the allowance, with the error event, then serves nothing', () => {
    const cut = cutOf();
    const first = openAIFrame({ content: 'a'.repeat(30) }); // 10 + 30 = 40 ≤ 50
    const second = openAIFrame({ content: 'b'.repeat(20) }); // 60 > 50
    const third = openAIFrame({ content: 'c' });
    const result = cut.chunk(passthrough(), {
      original: encoder.encode(first + second + third),
      endOfStream: false,
    });
    expect(text(result)).toBe(first + budgetExceededFrame('openai'));
    expect(cut.isCut).toBe(true);
    expect(result.usage).toEqual({
      inputTokens: 10,
      outputTokens: 30,
      totalTokens: 40,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
    const after = cut.chunk(passthrough(), { original: encoder.encode(third), endOfStream: true });
    expect(after.body?.byteLength).toBe(0);
    expect(after.usage).toBeUndefined();
  });

  it('holds back an unfinished event (even inside a character) until it completes', () => {
    const cut = cutOf({ allowance: 1000 });
    const frame = encoder.encode(openAIFrame({ content: 'ééé' }));
    const split = frame.indexOf(0xc3) + 1; // inside the first é
    const head = cut.chunk(passthrough(), {
      original: frame.subarray(0, split),
      endOfStream: false,
    });
    expect(head.body?.byteLength).toBe(0);
    const tail = cut.chunk(passthrough(), { original: frame.subarray(split), endOfStream: false });
    expect(Buffer.from(tail.body ?? []).equals(Buffer.from(frame))).toBe(true);
    expect(cut.servedTokens).toBe(10 + 6);
  });

  it('counts the translated bytes when the translator rewrote the chunk', () => {
    const cut = cutOf({ dialect: 'anthropic', allowance: 15 });
    const translated = encoder.encode(
      anthropicFrame({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'abcdefgh' },
      }),
    );
    const result = cut.chunk(
      { body: translated, usage: undefined, responseModel: undefined },
      { original: encoder.encode('{"provider":"bytes"}'), endOfStream: false },
    );
    expect(text(result)).toBe(budgetExceededFrame('anthropic'));
    expect(cut.servedTokens).toBe(10);
  });

  it("uses the provider's count once it reports one: Anthropic's input, Gemini's cumulative output", () => {
    const cut = cutOf({ allowance: 100, inputTokens: 80 });
    const usage = (inputTokens: number, outputTokens: number): Usage => ({
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
    // message_start: the real input (5) replaces the estimate (80).
    cut.chunk(passthrough(usage(5, 1)), {
      original: encoder.encode(openAIFrame({ role: 'assistant' })),
      endOfStream: false,
    });
    expect(cut.servedTokens).toBe(5 + 1);
    // 40 bytes of text, but the provider counts 10 output tokens for them.
    cut.chunk(passthrough(usage(5, 10)), {
      original: encoder.encode(openAIFrame({ content: 'y'.repeat(40) })),
      endOfStream: false,
    });
    expect(cut.servedTokens).toBe(15);
    // Text after the report is estimated on top of the provider's count.
    cut.chunk(passthrough(), {
      original: encoder.encode(openAIFrame({ content: 'z'.repeat(7) })),
      endOfStream: false,
    });
    expect(cut.servedTokens).toBe(22);
  });

  it("cuts after a chunk whose provider count passes the allowance (bound: that chunk's tokens)", () => {
    const cut = cutOf({ allowance: 30, inputTokens: 5 });
    const frame = openAIFrame({ content: 'abc' });
    const result = cut.chunk(
      passthrough({
        inputTokens: 5,
        outputTokens: 40,
        totalTokens: 45,
        cachedInputTokens: 0,
        reasoningTokens: 0,
      }),
      { original: encoder.encode(frame), endOfStream: false },
    );
    expect(text(result)).toBe(frame + budgetExceededFrame('openai'));
    expect(result.usage?.totalTokens).toBe(45);
  });

  it('divides the text by bytesPerToken (rounding each event up)', () => {
    const cut = cutOf({ bytesPerToken: 4 });
    cut.chunk(passthrough(), {
      original: encoder.encode(openAIFrame({ content: 'x'.repeat(9) })),
      endOfStream: false,
    });
    expect(cut.servedTokens).toBe(10 + 3);
  });

  it('does not cut Cohere streams (no stream error event its SDK raises)', () => {
    expect(HardCut.of(options({ dialect: 'cohere' }))).toBeUndefined();
  });

  it('cuts a Gemini stream with the bare error line @google/genai raises', () => {
    const cut = cutOf({ dialect: 'gemini', allowance: 15, inputTokens: 10 });
    const out = cut.chunk(passthrough(), {
      original: encoder.encode(geminiFrame('abc') + geminiFrame('defgh')),
      endOfStream: false,
    });
    const [first, error] = text(out).split(/\r?\n\r?\n|\n(?=\{)/);
    expect(first).toBe(geminiFrame('abc').trimEnd());
    expect(JSON.parse(error ?? '')).toEqual({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining('token budget') as string,
      },
    });
    expect(cut.isCut).toBe(true);
    expect(cut.servedTokens).toBe(10 + 3);
  });
});
