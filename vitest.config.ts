import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "@aigw/source" condition, so tests
// run against src/ without a build step (apps started as child processes still use dist/).
// No 'module': Node ignores that condition, and @smithy/core's "module" build (listed before
// "node") has extensionless imports Node cannot load once vitest externalises it.
const conditions = ['@aigw/source', 'node', 'import', 'default'];
const resolve = { conditions };
const ssr = { resolve: { conditions, externalConditions: ['@aigw/source'] } };

export default defineConfig({
  test: {
    globals: false,
    allowOnly: !process.env.CI,
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['{apps,packages}/*/src/**/*.test.ts', 'bench/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'e2e',
          include: ['e2e/src/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          // Real Envoy and Redis processes per file: keep the two cores from thrashing.
          fileParallelism: false,
        },
      },
    ],
  },
});
