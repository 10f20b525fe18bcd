import { describe, expect, it } from 'vitest';
import { conformanceCases, runConformanceCase, skipReason } from './conformance.js';
import { conformancePairs } from './pairs.js';

describe.each(conformancePairs)('conformance: $name', (pair) => {
  it('skips only cases that exist', () => {
    const names = new Set(conformanceCases.map((c) => c.name));
    for (const skip of pair.skip) {
      expect(skip.reason).not.toBe('');
      for (const test of skip.tests) {
        expect(names, `skip of unknown case ${test}`).toContain(test);
      }
    }
  });

  for (const testCase of conformanceCases) {
    const reason = skipReason(pair, testCase.name);
    const title = `${testCase.name}: ${testCase.description}`;
    if (reason !== undefined) {
      it.skip(`${title} (skipped: ${reason})`, () => undefined);
      continue;
    }
    it(title, () => {
      const outcome = runConformanceCase(pair, testCase);
      if (outcome.status === 'fail') {
        throw outcome.error;
      }
      expect(outcome.status).toBe('pass');
    });
  }
});
