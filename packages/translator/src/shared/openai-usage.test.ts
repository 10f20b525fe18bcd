import { describe, expect, it } from 'vitest';
import { hasUsageObject, usageFromOpenAI } from './openai-usage.js';

describe('usageFromOpenAI', () => {
  it('reads all counts', () => {
    expect(
      usageFromOpenAI({
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 3 },
        completion_tokens_details: { reasoning_tokens: 2 },
      }),
    ).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 15,
      cachedInputTokens: 3,
      reasoningTokens: 2,
    });
  });

  it.each([null, undefined, 3, 'x', []])('gives undefined for %s', (value) => {
    expect(usageFromOpenAI(value)).toBeUndefined();
  });

  it('sums input and output when total is missing and ignores junk counts', () => {
    expect(
      usageFromOpenAI({ prompt_tokens: 4, completion_tokens: -1, prompt_tokens_details: null }),
    ).toEqual({
      inputTokens: 4,
      outputTokens: 0,
      totalTokens: 4,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
  });
});

describe('hasUsageObject', () => {
  it.each([
    ['{"usage":{"prompt_tokens":1}}', true],
    ['{"usage" : \n {"prompt_tokens":1}}', true],
    ['{"usage":null}', false],
    ['{"a":"\\"usage\\":{"}', false],
    ['{"name":"usage","usage":{}}', true],
    ['{"x":1}', false],
    ['"usage"', false],
  ])('%s → %s', (json, expected) => {
    expect(hasUsageObject(json)).toBe(expected);
  });
});
