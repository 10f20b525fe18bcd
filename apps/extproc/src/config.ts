import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  listenAddressSchema,
  loadConfig as load,
  millisecondsSchema,
  type ConfigKey,
} from '@aigw/service-kit';
import { isEndpointPrefixError, parseEndpointPrefixes, parseRootPrefix } from '@aigw/translator';

/** A string field parsed by `parse`, whose EndpointPrefixError becomes the field's one issue. */
function parsedWith<T>(parse: (text: string) => T) {
  return (text: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(text);
    } catch (err) {
      if (!isEndpointPrefixError(err)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, input: text });
      return z.NEVER;
    }
  };
}

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
  /** Path prefix of every endpoint (upstream's `-rootPrefix`), e.g. `/ai`; normalised. */
  rootPrefix: z.string().default('/').transform(parsedWith(parseRootPrefix)),
  /**
   * Per-family prefixes below the root (upstream's `-endpointPrefixes`):
   * `openai:/,cohere:/cohere,anthropic:/anthropic`; keys not given keep these defaults.
   */
  endpointPrefixes: z.string().default('').transform(parsedWith(parseEndpointPrefixes)),
});

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

const keys: Record<keyof Config, ConfigKey> = {
  ...commonConfigKeys,
  address: { flag: 'address', env: 'AIGW_EXTPROC_ADDRESS' },
  config: { flag: 'config', env: 'AIGW_EXTPROC_CONFIG' },
  configPollMs: { flag: 'config-poll-ms', env: 'AIGW_EXTPROC_CONFIG_POLL_MS' },
  rootPrefix: { flag: 'root-prefix', env: 'AIGW_EXTPROC_ROOT_PREFIX' },
  endpointPrefixes: { flag: 'endpoint-prefixes', env: 'AIGW_EXTPROC_ENDPOINT_PREFIXES' },
};

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  return load({ schema: ConfigSchema, keys, argv, env }).config;
}
