/**
 * Writes deploy/'s generated files: the aigw chart's files/rbac.yaml (from the apps' rbac.ts), the
 * aigw-crds chart's copies of deploy/crds, and deploy/kustomize (rendered with helm).
 * `pnpm --filter @aigw/deploy render`; packages/deploy/test/generated.test.ts fails when they are
 * stale. Not part of `pnpm generate`: that runs for `aigw run`, which never needs helm.
 */
import { renderChartFiles } from './render.js';
import { prettierFormatted, renderAll, writeFiles } from './generated-files.js';
import { findHelm } from './tools.js';
import { isDeployError } from './errors.js';

async function main(): Promise<void> {
  // The chart parts first: the Kustomize tree is rendered from the chart, files/ included.
  const chartChanged = writeFiles(await prettierFormatted(await renderChartFiles()), {
    prune: false,
  });
  const changed = [
    ...chartChanged,
    ...writeFiles(await renderAll(findHelm(process.env)), { prune: true }),
  ];
  const unique = [...new Set(changed)];
  console.log(unique.length === 0 ? 'deploy/ is up to date' : `updated:\n  ${unique.join('\n  ')}`);
}

main().catch((err: unknown) => {
  console.error(isDeployError(err) ? `render: ${err.message}` : err);
  process.exitCode = 1;
});
