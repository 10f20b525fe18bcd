import { describe, expect, it } from 'vitest';
import { emptyUsage } from './usage.js';

describe('emptyUsage', () => {
  it('returns a fresh all-zero usage each time', () => {
    const a = emptyUsage();
    expect(a).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
    a.inputTokens = 5;
    expect(emptyUsage().inputTokens).toBe(0);
  });
});
