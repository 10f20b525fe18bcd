#!/usr/bin/env node
// First, before the other modules load: the lean start and, once serving, the idle reclaim
// (docs/performance.md, Memory).
import { leanProcess } from '@aigw/service-kit/lean-process';

const lean = leanProcess();
const { runService } = await import('@aigw/service-kit');
const { main } = await import('./main.js');

await runService({
  name: 'aigw-extproc',
  main: async (args) => {
    try {
      return await main(args);
    } finally {
      lean.serving();
    }
  },
  argv: process.argv.slice(2),
  env: process.env,
});
