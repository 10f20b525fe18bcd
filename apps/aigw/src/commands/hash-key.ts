import { createHash } from 'node:crypto';
import type { Cli } from '../main.js';
import { usage } from './help.js';

/**
 * `aigw hash-key KEY…`: prints the SHA-256 digest (hex) of each client key, one per line — the
 * value a client-keys Secret stores (docs/budgets.md "Tenants and money budgets"). Computed
 * locally; the same as `printf %s "$KEY" | sha256sum`.
 */
export function hashKey(argv: readonly string[], cli: Cli): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    cli.stdout.write(usage['hash-key']);
    return 0;
  }
  if (argv.length === 0 || argv.some((key) => key === '')) {
    cli.stderr.write(
      `aigw hash-key: give one or more non-empty keys (try 'aigw hash-key --help')\n`,
    );
    return 2;
  }
  for (const key of argv) {
    cli.stdout.write(`${createHash('sha256').update(key, 'utf8').digest('hex')}\n`);
  }
  return 0;
}
