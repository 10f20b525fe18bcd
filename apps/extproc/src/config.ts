import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  listenAddressSchema,
  loadConfig as load,
  millisecondsSchema,
  type ConfigKey,
} from '@aigw/service-kit';

/** Configuration of the ext_proc server: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({
  ...commonConfigShape,
  /**
   * gRPC listen address. Envoy reaches the extproc over a Unix socket (no TCP stack, no port to
   * secure); `host:port` works too.
   */
  address: listenAddressSchema.default('unix:/tmp/aigw-extproc.sock'),
  /** The filter config file (`@aigw/filterapi`) written by the controller or `aigw run`. */
  config: z
    .string({ error: 'the filter config file is required' })
    .min(1, 'the filter config file is required'),
  /** How often the config and credential files are checked for changes. */
  configPollMs: millisecondsSchema.default(250),
});

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

const keys: Record<keyof Config, ConfigKey> = {
  ...commonConfigKeys,
  address: { flag: 'address', env: 'AIGW_EXTPROC_ADDRESS' },
  config: { flag: 'config', env: 'AIGW_EXTPROC_CONFIG' },
  configPollMs: { flag: 'config-poll-ms', env: 'AIGW_EXTPROC_CONFIG_POLL_MS' },
};

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  return load({ schema: ConfigSchema, keys, argv, env }).config;
}
