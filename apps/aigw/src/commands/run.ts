import { loadRunConfig } from '../config.js';
import type { Cli } from '../main.js';
import { usage } from './help.js';

/**
 * `aigw run`: validates its flags, then says plainly that the standalone gateway is not built yet
 * (issue 6/7) and exits 1, so nobody mistakes it for a running gateway.
 */
export function run(argv: readonly string[], cli: Cli): number {
  const { config, positionals } = loadRunConfig(argv, cli.env);
  if (config.help) {
    cli.stdout.write(usage.run);
    return 0;
  }
  const files = positionals.length ? positionals.join(', ') : 'the embedded default';
  cli.stderr.write(
    `aigw run: not yet available — the standalone gateway (Envoy + extproc + rate limiter on port ${String(config.port)}, from ${files}) lands with issue 6/7.\n` +
      `Today you can run each service on its own: see "Run one app" in README.md.\n`,
  );
  return 1;
}
