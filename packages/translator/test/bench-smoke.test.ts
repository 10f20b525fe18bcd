import { describe, expect, it } from 'vitest';
import { docSection } from '../bench/report.js';
import { registeredPairs, runTranslatorBench } from '../bench/run.js';

/** Endpoints whose every pair has a streamed workload. */
const streamingEndpoints: ReadonlySet<string> = new Set([
  'chat-completions',
  'completions',
  'messages',
  'responses',
  'gemini-generate-content',
]);

// A smoke test of the bench's quick mode: every registered pair yields finite, positive figures.
// No timing thresholds: how fast is for the bench to print, not for a test to judge.
describe('translator bench (quick mode)', () => {
  const report = runTranslatorBench({ quick: true });

  it('measures every pair the registry supports', () => {
    expect(report.pairs.map((p) => p.pair)).toEqual(
      registeredPairs().map(({ endpoint, schema }) => `${endpoint} → ${schema}`),
    );
  });

  it.each(report.pairs.map((p) => [p.pair, p] as const))(
    '%s: finite positive figures',
    (_name, pair) => {
      for (const value of [
        pair.requestSmallUs,
        pair.requestLargeUs,
        pair.responseSmallUs,
        pair.responseLargeUs,
      ]) {
        expect(Number.isFinite(value) && value > 0).toBe(true);
      }
      // The chat-like endpoints always stream; one-object APIs (embeddings, counts, rerank,
      // multipart uploads) have no stream, and the media ones may.
      const fps = pair.streamFramesPerSecond;
      if (streamingEndpoints.has(pair.endpoint)) expect(fps).toBeDefined();
      if (pair.endpoint === 'embeddings') expect(fps).toBeUndefined();
      if (fps !== undefined) expect(Number.isFinite(fps) && fps > 0).toBe(true);
      expect(pair.sizes.requestLarge).toBeGreaterThan(pair.sizes.requestSmall);
    },
  );

  it('times parseRequest for each ingress endpoint', () => {
    expect(new Set(report.parse.map((p) => p.endpoint))).toEqual(
      new Set(report.pairs.map((p) => p.endpoint)),
    );
    for (const p of report.parse) {
      expect(Number.isFinite(p.us) && p.us > 0).toBe(true);
    }
  });

  it('renders the docs section with one row per pair', () => {
    const section = docSection(report);
    for (const pair of report.pairs) {
      expect(section).toContain(`| ${pair.pair} `);
    }
  });
});
