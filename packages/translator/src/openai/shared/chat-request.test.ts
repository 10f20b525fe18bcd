import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from '../../errors.js';
import {
  assistantMessageParts,
  assistantToolCalls,
  maxTokensOf,
  parseDataUri,
  reasoningEffortOf,
  rejectUnsupported,
  stopSequencesOf,
  textPartsOf,
  toolChoiceOf,
  userParts,
} from './chat-request.js';
import { escapePathSegment } from './path-segment.js';

const supported = new Set(['model', 'messages']);

describe('rejectUnsupported', () => {
  it.each([
    { body: { model: 'm', messages: [] }, rejected: undefined },
    { body: { model: 'm', seed: null }, rejected: undefined },
    {
      body: { model: 'm', n: 1, logprobs: false, parallel_tool_calls: true, store: false },
      rejected: undefined,
    },
    {
      body: {
        model: 'm',
        presence_penalty: 0,
        frequency_penalty: 0,
        logit_bias: {},
        modalities: ['text'],
      },
      rejected: undefined,
    },
    { body: { model: 'm', presence_penalty: 0.5 }, rejected: 'presence_penalty' },
    { body: { model: 'm', modalities: ['text', 'audio'] }, rejected: 'modalities' },
    { body: { model: 'm', n: 2 }, rejected: 'n' },
    { body: { model: 'm', logprobs: true }, rejected: 'logprobs' },
    { body: { model: 'm', parallel_tool_calls: false }, rejected: 'parallel_tool_calls' },
    { body: { model: 'm', logit_bias: { '50256': -100 } }, rejected: 'logit_bias' },
  ])('$body → rejects $rejected', ({ body, rejected }) => {
    const run = () => {
      rejectUnsupported(body, { supported, backend: 'X' });
    };
    if (rejected === undefined) {
      expect(run).not.toThrow();
    } else {
      expect(run).toThrow(
        new MalformedRequestError(`parameter "${rejected}" is not supported by X`),
      );
    }
  });
});

describe('request field readers', () => {
  it.each([
    ['data:image/png;base64,iVBORw0KGgo=', { mimeType: 'image/png', base64: 'iVBORw0KGgo=' }],
    ['data:IMAGE/JPEG;name=a.jpg;base64,dGVzdA==', { mimeType: 'image/jpeg', base64: 'dGVzdA==' }],
    ['data:image/png,plain', undefined],
    ['https://example.com/a.png', undefined],
    ['data:image/png;base64,not base64!', undefined],
  ])('parseDataUri(%s)', (url, expected) => {
    expect(parseDataUri(url)).toEqual(expected);
  });

  it.each([
    [{}, undefined],
    [{ stop: null }, undefined],
    [{ stop: 'x' }, ['x']],
    [{ stop: ['a', 'b'] }, ['a', 'b']],
  ])('stopSequencesOf(%j)', (body, expected) => {
    expect(stopSequencesOf(body)).toEqual(expected);
  });

  it('refuses a non-string stop sequence', () => {
    expect(() => stopSequencesOf({ stop: [1] })).toThrow(MalformedRequestError);
  });

  it('prefers max_completion_tokens over max_tokens and validates integers', () => {
    expect(maxTokensOf({ max_tokens: 5, max_completion_tokens: 9 })).toBe(9);
    expect(maxTokensOf({ max_tokens: 5 })).toBe(5);
    expect(() => maxTokensOf({ max_tokens: 1.5 })).toThrow(MalformedRequestError);
    expect(() => maxTokensOf({ max_tokens: '5' })).toThrow(MalformedRequestError);
  });

  it('normalises tool_choice and refuses unknown values', () => {
    expect(toolChoiceOf({ tool_choice: 'required' })).toEqual({ mode: 'required' });
    expect(toolChoiceOf({ tool_choice: { type: 'function', function: { name: 'f' } } })).toEqual({
      mode: 'function',
      name: 'f',
    });
    expect(() => toolChoiceOf({ tool_choice: 'some-tools' })).toThrow(MalformedRequestError);
  });

  it('validates reasoning_effort', () => {
    expect(reasoningEffortOf({ reasoning_effort: 'low' })).toBe('low');
    expect(reasoningEffortOf({ reasoning_effort: '' })).toBeUndefined();
    expect(() => reasoningEffortOf({ reasoning_effort: 'max' })).toThrow(MalformedRequestError);
  });

  it('keeps cache_control markers on text and user parts', () => {
    const content = [
      { type: 'text', text: 'a', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'b' },
    ];
    expect(textPartsOf(content, 'm')).toEqual([
      { text: 'a', isCached: true },
      { text: 'b', isCached: false },
    ]);
    expect(userParts(content, 'm').map((p) => p.isCached)).toEqual([true, false]);
  });

  it('parses tool call arguments and requires ids', () => {
    const message = {
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '' } }],
    };
    expect(assistantToolCalls(message, 'm')).toEqual([{ id: 'c', name: 'f', arguments: {} }]);
    expect(() =>
      assistantToolCalls({ tool_calls: [{ function: { name: 'f', arguments: '{}' } }] }, 'm'),
    ).toThrow('missing required field "id"');
    expect(() =>
      assistantToolCalls(
        { tool_calls: [{ id: 'c', function: { name: 'f', arguments: '[1]' } }] },
        'm',
      ),
    ).toThrow(MalformedRequestError);
  });

  it('reads thinking_blocks (as the gateway returns them) before the content parts', () => {
    const message = {
      role: 'assistant',
      content: [
        { type: 'thinking', text: 'part', signature: 's2' },
        { type: 'text', text: 'answer' },
      ],
      thinking_blocks: [
        { type: 'thinking', thinking: 'block', signature: 's1' },
        { type: 'redacted_thinking', data: 'ZGF0YQ==' },
      ],
    };
    expect(assistantMessageParts(message, 'm')).toEqual([
      { kind: 'thinking', text: 'block', signature: 's1' },
      { kind: 'redacted-thinking', data: 'ZGF0YQ==' },
      { kind: 'thinking', text: 'part', signature: 's2' },
      { kind: 'text', text: 'answer' },
    ]);
  });

  it('refuses thinking_blocks that are not an array of thinking blocks', () => {
    expect(() => assistantMessageParts({ thinking_blocks: {} }, 'm')).toThrow(
      'm.thinking_blocks must be an array',
    );
    expect(() =>
      assistantMessageParts({ thinking_blocks: [{ type: 'text', text: 'x' }] }, 'm'),
    ).toThrow('m.thinking_blocks[0] must be a thinking or redacted_thinking block');
    expect(() => assistantMessageParts({ thinking_blocks: [{ type: 'thinking' }] }, 'm')).toThrow(
      MalformedRequestError,
    );
  });
});

describe('escapePathSegment', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    [
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile%2Fus.anthropic.claude-3-5-sonnet-20241022-v2:0',
    ],
    ['a b+c@d=e', 'a%20b+c@d=e'],
    ["x!'()*", 'x%21%27%28%29%2A'],
    ['日本', '%E6%97%A5%E6%9C%AC'],
  ])('%s → %s (as Go url.PathEscape)', (segment, escaped) => {
    expect(escapePathSegment(segment)).toBe(escaped);
  });
});
