/**
 * Writes `docs/translation-matrix.md` from the conformance suite:
 * `pnpm --filter @aigw/translator matrix` (or `tsx scripts/matrix.ts [--check]`). With `--check`
 * it only compares and exits 1 when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { matrixSections, renderMatrix } from '../src/testing/matrix.js';

const target = new URL('../../../docs/translation-matrix.md', import.meta.url);
const text = renderMatrix(matrixSections());

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is stale.
  }
  if (current !== text) {
    console.error('docs/translation-matrix.md is stale: run pnpm --filter @aigw/translator matrix');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
