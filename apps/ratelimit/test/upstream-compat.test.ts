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
