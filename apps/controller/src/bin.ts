#!/usr/bin/env node
import { runService } from '@aigw/service-kit/core';
import { main } from './main.js';

await runService({ name: 'aigw-controller', main, argv: process.argv.slice(2), env: process.env });
