import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  loadConfig,
  portSchema,
  type ConfigKey,
  type LoadedConfig,
} from '@aigw/service-kit';

/** Flags of `aigw run`. */
export const RunConfigSchema = z.strictObject({
  ...commonConfigShape,
  /** Port of the gateway's listener. */
  port: portSchema.default(1975),
  help: z.stringbool().default(false),
});

/** Validated `aigw run` flags. */
export type RunConfig = z.output<typeof RunConfigSchema>;

const runKeys: Record<keyof RunConfig, ConfigKey> = {
  ...commonConfigKeys,
  port: { flag: 'port', env: 'AIGW_PORT' },
  help: { flag: 'help', boolean: true },
};

/** Reads `aigw run [files…]` flags and env; the positionals are the CR files to load. */
export function loadRunConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): LoadedConfig<RunConfig> {
  return loadConfig({ schema: RunConfigSchema, keys: runKeys, argv, env, allowPositionals: true });
}

/** Flags of the commands that take only `--help`. */
export const HelpOnlySchema = z.strictObject({ help: z.stringbool().default(false) });

/** Reads the flags of a command that takes only `--help` and positionals. */
export function loadHelpOnly(
  argv: readonly string[],
): LoadedConfig<z.output<typeof HelpOnlySchema>> {
  return loadConfig({
    schema: HelpOnlySchema,
    keys: { help: { flag: 'help', boolean: true } },
    argv,
    env: {},
    allowPositionals: true,
  });
}
