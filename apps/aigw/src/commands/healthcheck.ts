import { loadHealthcheckConfig } from '../config.js';
import type { Cli } from '../main.js';
import { checkHealth } from '../run/health.js';
import { usage } from './help.js';

/**
 * `aigw healthcheck`: exit 0 when the local `aigw run` is ready (Envoy admin `/ready` is 200 and
 * the gateway listener answers), 1 otherwise, with a one-line reason. Made for container health
 * checks (`HEALTHCHECK CMD aigw healthcheck`).
 */
export async function healthcheck(argv: readonly string[], cli: Cli): Promise<number> {
  const config = loadHealthcheckConfig(argv, cli.env);
  if (config.help) {
    cli.stdout.write(usage.healthcheck);
    return 0;
  }
  const result = await checkHealth({ adminPort: config.adminPort, timeoutMs: config.timeoutMs });
  if (result.ok) {
    cli.stdout.write(`ok: ${result.detail}\n`);
    return 0;
  }
  cli.stderr.write(`aigw healthcheck: not healthy: ${result.reason}\n`);
  return 1;
}
