import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  listenAddressSchema,
  loadConfig as load,
  type ConfigKey,
} from '@aigw/service-kit';

/** Configuration of the Envoy Gateway extension server: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({
  ...commonConfigShape,
  /** gRPC listen address: `host:port`, `:port` or `unix:/path.sock`. */
  address: listenAddressSchema.default(':1063'),
});

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

const keys: Record<keyof Config, ConfigKey> = {
  ...commonConfigKeys,
  address: { flag: 'address', env: 'AIGW_EXTENSION_SERVER_ADDRESS' },
};

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  return load({ schema: ConfigSchema, keys, argv, env }).config;
}
