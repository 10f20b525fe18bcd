// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const apps = ['extproc', 'ratelimit', 'controller', 'extension-server', 'webhook', 'aigw'];

/** Bans deep imports into other workspaces and into generated code (CONVENTIONS §1, §4). */
const baseRestrictedImports = [
  {
    group: ['@aigw/*/src/*', '@aigw/*/dist/*'],
    message: 'Import the package entry point, not its files.',
  },
  {
    group: ['**/gen/**', '!./gen/**'],
    message: 'Generated code is reached through @aigw/proto barrels.',
  },
];

/** `@aigw/<app>` packages no other workspace may import (no app→app, no package→app). */
const appImports = apps.map((app) => ({
  group: [`@aigw/${app}`, `@aigw/${app}/*`],
  message: 'Apps are deployed on their own: no workspace imports an app.',
}));

/** Process plumbing and clients that pure packages must not import. */
const workspaceInfrastructure = [
  '@aigw/proto',
  '@aigw/service-kit',
  '@aigw/testkit',
  'pino',
  '@grpc/*',
  '@kubernetes/*',
];

/**
 * A package's dependency direction (CONVENTIONS §1): its files may not import `banned`, on top of
 * the rules every workspace has; with `sourceOnly`, its tests may.
 *
 * @param {{ files: string[], banned: string[], message: string, sourceOnly?: boolean }} rule
 */
function dependencyRule({ files, banned, message, sourceOnly = false }) {
  return {
    files,
    ...(sourceOnly ? { ignores: ['**/*.test.ts'] } : {}),
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...baseRestrictedImports, ...appImports, { group: banned, message }] },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/gen/**',
      '**/*.generated.ts',
      '.tools/**',
      '.turbo/**',
      'coverage/**',
      'proto/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  importX.flatConfigs.recommended,
  importX.flatConfigs.typescript,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          conditionNames: ['@aigw/source', 'types', 'import', 'default'],
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'import-x/no-cycle': 'error',
      'import-x/no-extraneous-dependencies': 'error',
      'import-x/no-relative-packages': 'error',
      'import-x/no-default-export': 'error',
      'import-x/no-named-as-default-member': 'off',
      'no-restricted-imports': ['error', { patterns: [...baseRestrictedImports, ...appImports] }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read process.env only in src/bin.ts or src/config.ts.',
        },
        { object: 'describe', property: 'only', message: 'No focused tests.' },
        { object: 'it', property: 'only', message: 'No focused tests.' },
        { object: 'test', property: 'only', message: 'No focused tests.' },
      ],
      complexity: ['error', 12],
      'max-depth': ['error', 3],
      'max-params': ['error', 3],
      'max-lines': ['error', { max: 600, skipBlankLines: true, skipComments: true }],
    },
  },
  // The translator is pure and published on its own: its own code only, no runtime dependency, no
  // Node built-in (it runs on edge runtimes too; the pack test bundles it for a neutral platform).
  dependencyRule({
    files: ['packages/translator/src/**/*.ts'],
    banned: ['@aigw/*', 'pino', 'node:*', '@grpc/*'],
    message: 'The translator has no runtime dependencies and uses no Node built-ins.',
  }),
  // filterapi and api: zod (and YAML parsing for loaders), no Kubernetes client, no protos, no logging.
  dependencyRule({
    files: ['packages/filterapi/src/**/*.ts', 'packages/api/src/**/*.ts'],
    banned: ['@aigw/*', 'pino', '@grpc/*', '@kubernetes/*'],
    message: 'Contract packages stay dependency-free.',
  }),
  // gateway-config is pure generation: CRD types, the filter contract, YAML and zod; no I/O, no
  // logging, no protos (the caller reads and writes the files and runs the processes).
  dependencyRule({
    files: ['packages/gateway-config/src/**/*.ts'],
    banned: [
      ...workspaceInfrastructure,
      'node:fs',
      'node:fs/*',
      'node:net',
      'node:http',
      'node:child_process',
    ],
    message: 'gateway-config is pure: no I/O, no logging, no protos.',
    sourceOnly: true,
  }),
  // cloud-credentials exchanges and refreshes credentials for the controller and aigw run: the
  // CRD types and the cloud SDKs, no Kubernetes client, no logger of its own (the caller passes
  // one to the rotator), no protos.
  dependencyRule({
    files: ['packages/cloud-credentials/src/**/*.ts'],
    banned: [...workspaceInfrastructure, '@aigw/gateway-config'],
    message: 'cloud-credentials depends on the CRD types and the cloud SDKs only.',
    sourceOnly: true,
  }),
  // kube-config resolves how to reach the API server (kubeconfig, in-cluster): YAML and Node
  // built-ins, no Kubernetes client library (it exists to avoid loading one), no workspace service.
  dependencyRule({
    files: ['packages/kube-config/src/**/*.ts'],
    banned: ['@aigw/*', 'pino', '@grpc/*', '@kubernetes/*'],
    message: 'kube-config depends on YAML and Node built-ins only.',
    sourceOnly: true,
  }),
  // Env is read at the edges: bin.ts and config.ts; the test harness and tests may read it too.
  {
    files: [
      '**/src/bin.ts',
      '**/src/config.ts',
      'packages/testkit/**',
      '**/*.test.ts',
      'e2e/**',
      '*.config.ts',
      '*.config.js',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  // e2e drives apps across processes and may import their entry points, and the bench measures
  // one app function in-process (record-cost.ts); nothing else may.
  {
    files: ['e2e/**', 'bench/src/record-cost.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: baseRestrictedImports }] },
  },
  {
    files: ['**/*.test.ts', 'e2e/**', 'packages/testkit/**'],
    rules: {
      'max-lines': 'off',
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['*.config.ts', '*.config.js', 'eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { 'import-x/no-default-export': 'off', 'import-x/no-extraneous-dependencies': 'off' },
  },
);
