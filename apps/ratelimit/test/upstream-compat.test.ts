import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ratelimit } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { RateLimiter } from '../src/limiter/rate-limiter.js';
import { loadRulesDir } from '../src/rules/load-rules.js';
import { MemoryStore } from '../src/store/memory.js';
import { rlRequest } from './ratelimit-client.js';

/**
 * envoyproxy/ratelimit's README examples, rewritten as fixtures (test/fixtures/upstream), load
 * together and decide as the README says (test/fixtures/upstream-cases.yaml).
 */
const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const Code = ratelimit.RateLimitResponse_Code;
const codeSchema = z.enum(['OK', 'OVER_LIMIT']);

const CasesSchema = z.array(
  z.strictObject({
    domain: z.string(),
    title: z.string(),
    steps: z.array(
      z.strictObject({
        descriptors: z.array(z.array(z.tuple([z.coerce.string(), z.coerce.string()]))),
        repeat: z.number().int().min(1).default(1),
        overall: codeSchema,
        codes: z.array(codeSchema).optional(),
        remaining: z.array(z.number()).optional(),
        limits: z.array(z.number().nullable()).optional(),
      }),
    ),
  }),
);

const cases = CasesSchema.parse(parse(readFileSync(join(fixtures, 'upstream-cases.yaml'), 'utf8')));

describe('envoyproxy/ratelimit README examples', () => {
  it('load together from one directory', async () => {
    const rules = await loadRulesDir(join(fixtures, 'upstream'));
    expect([...rules.domains.keys()].sort()).toEqual(cases.map((c) => c.domain).sort());
  });

  it.each(cases)('$domain: $title', async ({ domain, steps }) => {
    const rules = await loadRulesDir(join(fixtures, 'upstream'));
    // Mid-window, so no step crosses a window boundary.
    const now = Date.UTC(2026, 0, 1, 12, 0, 0, 500);
    const limiter = new RateLimiter({
      store: new MemoryStore({ now: () => now }),
      rules: () => rules,
      now: () => now,
    });
    for (const step of steps) {
      const request: ratelimit.RateLimitRequest = {
        domain,
        hitsAddend: 0,
        descriptors: step.descriptors.map((entries) => ({
          entries: entries.map(([key, value]) => ({ key, value })),
          isNegativeHits: false,
        })),
      };
      let response = await limiter.shouldRateLimit(request);
      for (let i = 1; i < step.repeat; i++) response = await limiter.shouldRateLimit(request);
      const label = JSON.stringify(step.descriptors);
      expect(Code[response.overallCode], label).toBe(step.overall);
      if (step.codes)
        expect(
          response.statuses.map((s) => Code[s.code]),
          label,
        ).toEqual(step.codes);
      if (step.remaining)
        expect(
          response.statuses.map((s) => s.limitRemaining),
          label,
        ).toEqual(step.remaining);
      if (step.limits) {
        expect(
          response.statuses.map((s) => s.currentLimit?.requestsPerUnit ?? null),
          label,
        ).toEqual(step.limits);
      }
    }
  });
});

describe("envoyproxy/ratelimit's test/config files (test/fixtures/upstream/config)", () => {
  const dir = join(fixtures, 'upstream', 'config');
  // Mid-window, so no step crosses a window boundary.
  const now = Date.UTC(2026, 0, 1, 12, 0, 30);

  it('are refused together by default: all four name test-domain', async () => {
    await expect(loadRulesDir(dir)).rejects.toThrow(
      /^merge_domain_key2\.yaml: domain: duplicate domain 'test-domain' in config file \(already defined in merge_domain_key1\.yaml/,
    );
  });

  it('merge into one domain under MERGE_DOMAIN_CONFIG and decide as upstream', async () => {
    const rules = await loadRulesDir(dir, { mergeDomains: true });
    expect(rules.files).toEqual([
      'merge_domain_key1.yaml',
      'merge_domain_key2.yaml',
      'share_threshold.yaml',
      'wildcard.yaml',
    ]);
    const limiter = new RateLimiter({
      store: new MemoryStore({ now: () => now }),
      rules: () => rules,
      now: () => now,
    });
    const decide = async (entries: readonly (readonly [string, string])[], hits = 1) => {
      const response = await limiter.shouldRateLimit(rlRequest('test-domain', [entries], hits));
      const status = response.statuses[0];
      return {
        code: Code[response.overallCode],
        limit: status?.currentLimit?.requestsPerUnit,
        remaining: status?.limitRemaining,
      };
    };
    // From the two merged files.
    expect(await decide([['key1', 'value1']])).toMatchObject({ limit: 10, remaining: 9 });
    expect(await decide([['key2', 'value2']])).toMatchObject({ limit: 20, remaining: 19 });
    // share_threshold with a `*` in the middle: three values, one budget of 100.
    expect(await decide([['midpath', '/api/v1']], 60)).toEqual({
      code: 'OK',
      limit: 100,
      remaining: 40,
    });
    expect(await decide([['midpath', '/apiXYZv1']], 40)).toMatchObject({
      code: 'OK',
      remaining: 0,
    });
    expect(await decide([['midpath', '/api-beta-v1']])).toMatchObject({ code: 'OVER_LIMIT' });
    expect(await decide([['midpath', '/api/v2']])).toMatchObject({ code: 'OK', limit: undefined });
    // A `*` in the middle without share_threshold: each matching value has its own counter.
    expect(await decide([['midWild', 'barab']], 20)).toMatchObject({ code: 'OK', remaining: 0 });
    expect(await decide([['midWild', 'barab']])).toMatchObject({ code: 'OVER_LIMIT' });
    expect(await decide([['midWild', 'bar123b']])).toMatchObject({ code: 'OK', remaining: 19 });
    // An exact value wins over a shared wildcard that also matches it.
    expect(await decide([['file', 'test1']])).toMatchObject({ limit: 50, remaining: 49 });
    expect(await decide([['file', 'test2']])).toMatchObject({ limit: 100, remaining: 99 });
    expect(await decide([['file', 'test123']])).toMatchObject({ limit: 100, remaining: 98 });
  });
});
