import { z } from 'zod';
import {
  isEndpointPrefixError,
  parseEndpointPrefixes,
  parseRootPrefix,
} from '@aigw/gateway-config';
import {
  commonConfigKeys,
  commonConfigShape,
  loadConfig,
  logFormatSchema,
  millisecondsSchema,
  parsedString,
  portSchema,
  type ConfigKey,
  type LoadedConfig,
} from '@aigw/service-kit';

/** Upstream's `rootPrefix`: the path prefix of every endpoint, e.g. `/ai`; normalised. */
const rootPrefixSchema = parsedString(parseRootPrefix, isEndpointPrefixError).prefault('/');

/** Envoy's admin port when `--admin-port` is not given (upstream aigw uses the same). */
export const defaultAdminPort = 1064;

/** Flags of `aigw run`. */
export const RunConfigSchema = z.strictObject({
  ...commonConfigShape,
  /** A terminal command: one-line text by default, JSON with `--log-format json`. */
  logFormat: logFormatSchema.unwrap().default('pretty'),
  /** Port of the gateway's listener (all interfaces). */
  port: portSchema.default(1975),
  /** Envoy's admin port (127.0.0.1 only); `aigw healthcheck` asks it. */
  adminPort: portSchema.default(defaultAdminPort),
  rootPrefix: rootPrefixSchema,
  /** Per-family prefixes below the root: `openai:/,cohere:/cohere,anthropic:/anthropic`. */
  endpointPrefixes: parsedString(parseEndpointPrefixes, isEndpointPrefixError).prefault(''),
  /** Rate-limit counters in Redis instead of the limiter's memory. */
  redisUrl: z.string().min(1).optional(),
  /** Debug logs from aigw, the extproc, the rate limiter and Envoy. */
  debug: z.stringbool().default(false),
  help: z.stringbool().default(false),
});

/** Validated `aigw run` flags. */
export type RunConfig = z.output<typeof RunConfigSchema>;

const runKeys: Record<keyof RunConfig, ConfigKey> = {
  ...commonConfigKeys,
  port: { flag: 'port', env: 'AIGW_PORT' },
  adminPort: { flag: 'admin-port', env: 'AIGW_ADMIN_PORT' },
  rootPrefix: { flag: 'root-prefix', env: 'AIGW_ROOT_PREFIX' },
  endpointPrefixes: { flag: 'endpoint-prefixes', env: 'AIGW_ENDPOINT_PREFIXES' },
  redisUrl: { flag: 'redis-url', env: 'AIGW_REDIS_URL' },
  debug: { flag: 'debug', env: 'AIGW_DEBUG', boolean: true },
  help: { flag: 'help', boolean: true },
};

/** Reads `aigw run [files…]` flags and env; the positionals are the resource files to load. */
export function loadRunConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): LoadedConfig<RunConfig> {
  return loadConfig({ schema: RunConfigSchema, keys: runKeys, argv, env, allowPositionals: true });
}

/** Flags of `aigw healthcheck`. */
export const HealthcheckConfigSchema = z.strictObject({
  /** Envoy admin port of the `aigw run` to check. */
  adminPort: portSchema.default(defaultAdminPort),
  /** How long the check may take. */
  timeoutMs: millisecondsSchema.default(3_000),
  help: z.stringbool().default(false),
});

/** Validated `aigw healthcheck` flags. */
export type HealthcheckConfig = z.output<typeof HealthcheckConfigSchema>;

/** Reads `aigw healthcheck` flags and env. */
export function loadHealthcheckConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): HealthcheckConfig {
  return loadConfig({
    schema: HealthcheckConfigSchema,
    keys: {
      adminPort: { flag: 'admin-port', env: 'AIGW_ADMIN_PORT' },
      timeoutMs: { flag: 'timeout-ms' },
      help: { flag: 'help', boolean: true },
    },
    argv,
    env,
  }).config;
}

/** Flags of `aigw translate`. */
export const TranslateConfigSchema = z.strictObject({
  /** The path prefix of the generated HTTPRoute matches (the controller's `rootPrefix`). */
  rootPrefix: rootPrefixSchema,
  help: z.stringbool().default(false),
});

/** Reads `aigw translate [files…]` flags and env; the positionals are the files. */
export function loadTranslateConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): LoadedConfig<z.output<typeof TranslateConfigSchema>> {
  return loadConfig({
    schema: TranslateConfigSchema,
    keys: {
      rootPrefix: { flag: 'root-prefix', env: 'AIGW_ROOT_PREFIX' },
      help: { flag: 'help', boolean: true },
    },
    argv,
    env,
    allowPositionals: true,
  });
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
