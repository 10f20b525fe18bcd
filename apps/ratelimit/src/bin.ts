#!/usr/bin/env node
// The lean start and, once serving, the idle reclaim (docs/performance.md, Memory): this module
// loads nothing else before the flags are set; the app's modules load inside `loadMain`.
import { runLeanService } from '@aigw/service-kit/lean-process';

await runLeanService({
  name: 'aigw-ratelimit',
  loadMain: async () => (await import('./main.js')).main,
  argv: process.argv.slice(2),
  env: process.env,
});
