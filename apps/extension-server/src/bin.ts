#!/usr/bin/env node
import { runService } from '@aigw/service-kit';
import { main } from './main.js';

await runService({
  name: 'aigw-extension-server',
  main,
  argv: process.argv.slice(2),
  env: process.env,
});
