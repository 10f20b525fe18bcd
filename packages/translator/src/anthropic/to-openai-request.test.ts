import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from '../errors.js';
import { openAIChatFromAnthropicRequest } from './to-openai-request.js';

const user = { role: 'user', content: 'hi' };

describe('anthropic → openai request: what Claude Code sends', () => {
  it('accepts context_management and drops it (advisory: the backend gets the whole history)', () => {
    const body = openAIChatFromAnthropicRequest(
      {
        model: 'm',
        max_tokens: 10,
        messages: [user],
        context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
      },
      'gpt-x',
    );
    expect(body).toEqual({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 10,
    });
  });

  it('keeps a system message in the middle of the conversation where it is', () => {
    const body = openAIChatFromAnthropicRequest(
      {
        model: 'm',
        max_tokens: 10,
        system: 'You are terse.',
        messages: [
          user,
          { role: 'assistant', content: 'hello' },
          { role: 'system', content: [{ type: 'text', text: 'The user is now in /tmp.' }] },
          { role: 'user', content: 'where am I?' },
        ],
      },
      'gpt-x',
    );
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'system', content: 'The user is now in /tmp.' },
      { role: 'user', content: 'where am I?' },
    ]);
  });

  it.each([
    ['low', 'low'],
    ['medium', 'medium'],
    ['high', 'high'],
    ['max', 'high'],
  ])(
    'maps output_config.effort %s to reasoning_effort %s, over a thinking budget',
    (effort, expected) => {
      const body = openAIChatFromAnthropicRequest(
        {
          model: 'm',
          max_tokens: 10,
          messages: [user],
          thinking: { type: 'enabled', budget_tokens: 1024 },
          output_config: { effort },
        },
        'gpt-x',
      );
      expect(body.reasoning_effort).toBe(expected);
    },
  );

  it('keeps output_config.format with an effort beside it', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const body = openAIChatFromAnthropicRequest(
      {
        model: 'm',
        max_tokens: 10,
        messages: [user],
        output_config: { effort: 'low', format: { type: 'json_schema', schema } },
      },
      'gpt-x',
    );
    expect(body.reasoning_effort).toBe('low');
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema, strict: true },
    });
  });

  it.each([
    [
      { output_config: { effort: 'constructor' } },
      'parameter "output_config.effort" is not supported by OpenAI backends: value "constructor"',
    ],
    [
      { output_config: { effort: 'extreme' } },
      'parameter "output_config.effort" is not supported by OpenAI backends: value "extreme"',
    ],
    [
      { output_config: { task_budget: 5 } },
      'parameter "output_config" is not supported by OpenAI backends: only "format" and "effort" can be honoured',
    ],
    [
      { messages: [{ role: 'tool', content: 'x' }] },
      'messages[0].role must be "user", "assistant" or "system"',
    ],
    [
      { messages: [{ role: 'system', content: [{ type: 'image' }] }] },
      'parameter "messages[0].content[0]" is not supported by OpenAI backends: only text blocks can be sent to OpenAI here',
    ],
  ])('refuses what would change the answer: %j', (extra, message) => {
    const request = () =>
      openAIChatFromAnthropicRequest(
        { model: 'm', max_tokens: 10, messages: [user], ...extra },
        'gpt-x',
      );
    expect(request).toThrow(MalformedRequestError);
    expect(request).toThrow(message);
  });
});
