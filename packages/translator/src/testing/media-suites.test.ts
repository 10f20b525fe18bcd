import { describe, expect, it } from 'vitest';
import { hasTranslator } from '../registry.js';
import { backendSchemaNames } from '../translator.js';
import { mediaSuites, runMediaOutcome } from './media-suites.js';

describe.each(mediaSuites)('conformance: $title', (suite) => {
  describe.each(suite.pairs)('$name', (pair) => {
    it.each(suite.cases)('$name: $description', (testCase) => {
      const outcome = runMediaOutcome(suite, pair, testCase);
      if (outcome.status === 'fail') throw outcome.error;
      expect(outcome.status).toBe('pass');
    });
  });

  it('is registered for OpenAI and Azure OpenAI only', () => {
    const registered = backendSchemaNames.filter((name) =>
      hasTranslator({ endpoint: suite.endpoint, schema: { name } }),
    );
    expect(registered).toEqual(['OpenAI', 'AzureOpenAI']);
  });
});

describe('media conformance runner', () => {
  it('fails a case whose expectations are wrong (usage, streaming, upstream body)', () => {
    const [images] = mediaSuites;
    const pair = images?.pairs[0];
    const passthrough = images?.cases.find((c) => c.name === 'passthrough');
    if (!images || !pair || !passthrough) throw new Error('missing image suite');
    const wrong = [
      { ...passthrough, usage: { input: 1, output: 2, total: 3 } },
      { ...passthrough, isStreaming: true },
      { ...passthrough, override: 'other-model' },
    ];
    for (const testCase of wrong) {
      expect(runMediaOutcome(images, pair, testCase).status).toBe('fail');
    }
  });
});
