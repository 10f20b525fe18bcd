import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  loadConfig as load,
  portOrZeroSchema,
  type ConfigKey,
} from '@aigw/service-kit';

/** Configuration of the controller: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({
  ...commonConfigShape,
  /** Port of the HTTP health endpoints (/healthz, /readyz). */
  port: portOrZeroSchema.default(8081),
  /** Address to bind. */
  host: z.string().min(1).default('0.0.0.0'),
});

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

const keys: Record<keyof Config, ConfigKey> = {
  ...commonConfigKeys,
  port: { flag: 'health-port', env: 'AIGW_CONTROLLER_PORT' },
  host: { flag: 'host', env: 'AIGW_CONTROLLER_HOST' },
};

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  return load({ schema: ConfigSchema, keys, argv, env }).config;
}
