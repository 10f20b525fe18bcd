import { describe, expect, it } from 'vitest';
import { AnthropicUsageTracker } from './usage.js';

describe('AnthropicUsageTracker', () => {
  it('is undefined before any usage and sums cache reads and writes into the prompt', () => {
    const usage = new AnthropicUsageTracker();
    expect(usage.toUsage()).toBeUndefined();
    usage.add({
      input_tokens: 10,
      cache_read_input_tokens: 20,
      cache_creation_input_tokens: 30,
      output_tokens: 1,
    });
    usage.add({ output_tokens: 50, output_tokens_details: { thinking_tokens: 12 } });
    usage.add({ cache_read_input_tokens: null, input_tokens: -1 });
    expect(usage.toUsage()).toEqual({
      inputTokens: 60,
      outputTokens: 50,
      totalTokens: 110,
      cachedInputTokens: 20,
      cacheCreationInputTokens: 30,
      reasoningTokens: 12,
    });
    expect(usage.toOpenAI()).toEqual({
      prompt_tokens: 60,
      completion_tokens: 50,
      total_tokens: 110,
      prompt_tokens_details: { cached_tokens: 20 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
  });

  it('reports no cache writes when the provider reported none', () => {
    const usage = new AnthropicUsageTracker();
    usage.add({ input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 2 });
    expect(usage.toUsage()?.cacheCreationInputTokens).toBeUndefined();
  });
});
