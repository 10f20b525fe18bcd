/**
 * Summarises any `.cpuprofile`: self time by package and by function, and our functions by total
 * time. Usage: pnpm --filter @aigw/bench profile:summary <file.cpuprofile> [--top 20]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summariseProfile, type CpuProfile } from './profile-summary.js';
import { profileMarkdown } from './profile-report.js';
import { ErrorCounter } from './load.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '20' } },
});
const [file] = positionals;
if (file === undefined) {
  process.stderr.write('usage: profile:summary <file.cpuprofile> [--top 20]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const summary = summariseProfile(profile, { top: Number(values.top) });
process.stdout.write(
  `${profileMarkdown({
    file,
    phases: [{ name: 'whole profile', requests: 0, frames: 0, summary }],
    errors: new ErrorCounter(),
  })}\n`,
);
