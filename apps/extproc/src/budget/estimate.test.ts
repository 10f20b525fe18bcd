import { parseRequest, type Endpoint } from '@aigw/translator';
import { describe, expect, it } from 'vitest';
import { estimateTokens, mediaPartTokens } from './estimate.js';

function parsed(endpoint: Endpoint, body: Record<string, unknown>) {
  return parseRequest(endpoint, Buffer.from(JSON.stringify(body)));
}

describe('estimateTokens', () => {
  it('reserves the text bytes + chat overhead as input and max_tokens as output', () => {
    const request = parsed('chat-completions', {
      model: 'gpt-a',
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'héllo' },
      ],
    });
    // 'system' 6 + 'Be brief.' 9 + 'user' 4 + 'héllo' 6 = 25 bytes; 2 messages × 4 + 3.
    expect(estimateTokens(request)).toEqual({
      inputTokens: 25 + 8 + 3,
      outputTokens: 100,
      totalTokens: 136,
    });
  });

  it.each([
    { field: 'max_completion_tokens', value: 7, expected: 7 },
    { field: 'max_tokens', value: 9, expected: 9 },
    { field: 'max_output_tokens', value: 11, expected: 11 },
    { field: 'none', value: 1, expected: 4096 },
  ])('output from $field', ({ field, value, expected }) => {
    const request = parsed('chat-completions', { model: 'm', messages: [], [field]: value });
    expect(estimateTokens(request).outputTokens).toBe(expected);
  });

  it('prefers max_completion_tokens over max_tokens and multiplies by n', () => {
    const request = parsed('chat-completions', {
      model: 'm',
      messages: [],
      max_completion_tokens: 50,
      max_tokens: 500,
      n: 3,
    });
    expect(estimateTokens(request).outputTokens).toBe(150);
  });

  it('uses the configured default output and bytes per token', () => {
    const request = parsed('messages', {
      model: 'claude',
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
    });
    const estimate = estimateTokens(request, { defaultOutputTokens: 10, inputBytesPerToken: 4 });
    expect(estimate).toEqual({ inputTokens: 101 + 4 + 3, outputTokens: 10, totalTokens: 118 });
  });

  it('charges a fixed allowance for an image instead of its base64 bytes', () => {
    const image = `data:image/png;base64,${'A'.repeat(100_000)}`;
    const request = parsed('chat-completions', {
      model: 'm',
      max_tokens: 1,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }] }],
    });
    const { inputTokens } = estimateTokens(request);
    expect(inputTokens).toBeGreaterThanOrEqual(mediaPartTokens);
    expect(inputTokens).toBeLessThan(mediaPartTokens + 100);
  });

  it('charges Anthropic base64 image data as one media part, and long plain text as text', () => {
    const request = parsed('messages', {
      model: 'c',
      max_tokens: 1,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image',
              source: { type: 'base64', media_type: 'image/png', data: 'QUJD'.repeat(10_000) },
            },
            { type: 'text', text: 'a'.repeat(5000) },
          ],
        },
      ],
    });
    expect(estimateTokens(request).inputTokens).toBeGreaterThan(mediaPartTokens + 5000);
    expect(estimateTokens(request).inputTokens).toBeLessThan(mediaPartTokens + 5100);
  });

  it('reserves no output for embeddings', () => {
    const request = parsed('embeddings', { model: 'e', input: ['abc', 'de'] });
    expect(estimateTokens(request)).toEqual({ inputTokens: 8, outputTokens: 0, totalTokens: 8 });
  });

  it('is never below the real input of byte-level BPE (every token is at least one byte)', () => {
    // 11 tokens in o200k_base; 44 bytes.
    const text = 'The quick brown fox jumps over the lazy dog.';
    const request = parsed('completions', { model: 'm', prompt: text, max_tokens: 0 });
    expect(estimateTokens(request).inputTokens).toBeGreaterThanOrEqual(11);
  });
});
