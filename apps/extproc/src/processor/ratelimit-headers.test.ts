import { describe, expect, it } from 'vitest';
import { budgetHeaders, budgetState, openAIDuration } from './ratelimit-headers.js';

const draft = (limit: string, remaining: string, reset: string) =>
  new Map([
    ['x-ratelimit-limit', limit],
    ['x-ratelimit-remaining', remaining],
    ['x-ratelimit-reset', reset],
  ]);
const now = Date.parse('2026-12-07T17:00:00.250Z');

describe('the token budget in the client’s dialect', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [60, '1m0s'],
    [360, '6m0s'],
    [3723, '1h2m3s'],
    [86_400, '24h0m0s'],
  ])('writes %i seconds as OpenAI does: %s', (seconds, text) => {
    expect(openAIDuration(seconds)).toBe(text);
  });

  it.each([
    // limit, used, reset → OpenAI headers, Anthropic headers
    { limit: 1000, remaining: 1000, reset: 3600, status: 200 },
    { limit: 1000, remaining: 400, reset: 1799, status: 200 },
    { limit: 1000, remaining: 0, reset: 59, status: 429 },
    { limit: 1000, remaining: 0, reset: 0, status: 429 },
  ])('limit $limit, remaining $remaining, reset $reset s, status $status', (c) => {
    const headers = draft(
      `${String(c.limit)}, ${String(c.limit)};w=3600`,
      String(c.remaining),
      String(c.reset),
    );
    const retry = c.status === 429 ? [['retry-after', String(Math.max(1, c.reset))]] : [];
    expect(budgetHeaders(headers, { dialect: 'openai', status: c.status, nowMs: now })).toEqual({
      set: [
        ['x-ratelimit-limit-tokens', String(c.limit)],
        ['x-ratelimit-remaining-tokens', String(c.remaining)],
        ['x-ratelimit-reset-tokens', openAIDuration(c.reset)],
        ...retry,
      ],
      remove: ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    });
    const resetAt = new Date(Date.parse('2026-12-07T17:00:00Z') + c.reset * 1000)
      .toISOString()
      .replace('.000Z', 'Z');
    expect(budgetHeaders(headers, { dialect: 'anthropic', status: c.status, nowMs: now })).toEqual({
      set: [
        ['anthropic-ratelimit-tokens-limit', String(c.limit)],
        ['anthropic-ratelimit-tokens-remaining', String(c.remaining)],
        ['anthropic-ratelimit-tokens-reset', resetAt],
        ...retry,
      ],
      remove: ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    });
  });

  it.each(['gemini', 'cohere'] as const)(
    'keeps the draft headers for %s clients (no headers of their own), with retry-after on a 429',
    (dialect) => {
      const headers = draft('1000', '0', '30');
      expect(budgetHeaders(headers, { dialect, status: 429, nowMs: now })).toEqual({
        set: [['retry-after', '30']],
        remove: [],
      });
      expect(budgetHeaders(headers, { dialect, status: 200, nowMs: now })).toEqual({
        set: [],
        remove: [],
      });
    },
  );

  it('leaves a response without all three draft headers alone (no budget applies)', () => {
    expect(
      budgetHeaders(new Map(), { dialect: 'openai', status: 200, nowMs: now }),
    ).toBeUndefined();
    const partial = new Map([['x-ratelimit-remaining', '3']]);
    expect(budgetHeaders(partial, { dialect: 'openai', status: 429, nowMs: now })).toBeUndefined();
    expect(budgetState(draft('lots', '1', '2'))).toBeUndefined();
  });
});
