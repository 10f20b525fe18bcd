import { describe, expect, it } from 'vitest';

import { differences, filesOnDisk, renderAll } from '../src/generated-files.js';
import { findHelm } from '../src/tools.js';

describe('generated files of deploy/', () => {
  it('are what `pnpm --filter @aigw/deploy render` writes: chart RBAC and CRDs, the Kustomize base and overlays', async () => {
    const expected = await renderAll(findHelm(process.env));
    const stale = differences(expected, filesOnDisk(expected));
    expect(
      stale,
      'stale generated files: run `pnpm --filter @aigw/deploy render` and commit',
    ).toEqual([]);
    expect([...expected.keys()]).toEqual(
      expect.arrayContaining([
        'deploy/helm/aigw/files/rbac.yaml',
        'deploy/kustomize/base/kustomization.yaml',
        'deploy/kustomize/crds/kustomization.yaml',
        'deploy/kustomize/overlays/with-redis/kustomization.yaml',
        'deploy/kustomize/overlays/namespaced/kustomization.yaml',
      ]),
    );
  });
});
