// eslint-disable-next-line no-restricted-imports -- the regen-diff check reads the committed doc
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matrixSections, renderMatrix } from './matrix.js';

describe('docs/translation-matrix.md', () => {
  it('is up to date (regenerate: pnpm --filter @aigw/translator matrix)', () => {
    const committed = readFileSync(
      new URL('../../../../docs/translation-matrix.md', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(renderMatrix(matrixSections()));
  });

  it('has no failing cell', () => {
    expect(renderMatrix(matrixSections())).not.toContain('FAIL');
  });

  it('covers every registered pair with a column', () => {
    expect(renderMatrix(matrixSections())).not.toContain('no conformance adapter yet');
  });
});
