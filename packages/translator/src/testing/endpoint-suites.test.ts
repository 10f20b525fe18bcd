import { describe, expect, it } from 'vitest';
import { completionsSuite } from './completions-suite.js';
import { embeddingsSuite } from './embeddings-backends.js';
import { decodeBase64Vector, encodeBase64Vector } from './embeddings-suite.js';
import { geminiCountSuite } from './gemini-count-suite.js';
import { runSuiteCase, type AnySuite } from './suite.js';

const suites: readonly AnySuite[] = [embeddingsSuite, completionsSuite, geminiCountSuite];

describe.each(suites)('conformance: $title', (suite) => {
  const names = new Set(suite.cases.map((c) => c.name));

  describe.each(suite.pairs)('$name', (pair) => {
    it('skips and refuses only cases that exist, each with a reason', () => {
      for (const entry of [...pair.skip, ...(pair.refuse ?? [])]) {
        expect(entry.reason).not.toBe('');
        for (const test of entry.tests) {
          expect(names, `unknown case ${test}`).toContain(test);
        }
      }
    });

    it.each(suite.cases)('$name: $description', (testCase) => {
      const outcome = runSuiteCase({ suite, pair, testCase });
      if (outcome.status === 'fail') {
        throw outcome.error;
      }
      expect(['pass', 'refused', 'skip']).toContain(outcome.status);
    });
  });
});

describe('base64 embeddings codec', () => {
  it('is little-endian float32 (the OpenAI SDK decoding)', () => {
    // 1.0f is 0x3f800000: little-endian bytes 00 00 80 3f.
    expect(encodeBase64Vector([1])).toBe(btoa('\x00\x00\x80\x3f'));
    expect(decodeBase64Vector(encodeBase64Vector([0.25, -0.5, 1]))).toEqual([0.25, -0.5, 1]);
  });
});
