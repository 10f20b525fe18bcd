import { z } from 'zod';
import { loadConfig, type ConfigKey } from './load-config.js';
import { listenAddressSchema, portOrZeroSchema } from './schemas.js';

/** Env reader type every app's `loadConfig` takes. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A schema fragment and the flag/env names that feed each of its keys. */
export interface ConfigFragment<Shape> {
  readonly shape: Shape;
  readonly keys: { readonly [K in keyof Shape]: ConfigKey };
}

/** The `--address` fragment of a gRPC service. */
export type GrpcListenConfig = ConfigFragment<{
  address: z.ZodDefault<typeof listenAddressSchema>;
}>;

/** The `--host` / port fragment of an HTTP service. */
export type HttpListenConfig = ConfigFragment<{
  port: z.ZodDefault<typeof portOrZeroSchema>;
  host: z.ZodDefault<z.ZodString>;
}>;

/** `--address` (env `<PREFIX>_ADDRESS`) for a gRPC service: `host:port`, `:port` or `unix:/path`. */
export function grpcListenConfig(options: {
  envPrefix: string;
  defaultAddress: string;
}): GrpcListenConfig {
  return {
    shape: { address: listenAddressSchema.default(options.defaultAddress) },
    keys: { address: { flag: 'address', env: `${options.envPrefix}_ADDRESS` } },
  };
}

/** `--host` and a port flag (env `<PREFIX>_HOST`, `<PREFIX>_PORT`) for an HTTP service. */
export function httpListenConfig(options: {
  envPrefix: string;
  defaultPort: number;
  portFlag?: string;
}): HttpListenConfig {
  return {
    shape: {
      port: portOrZeroSchema.default(options.defaultPort),
      host: z.string().min(1, 'expected a host name or address').default('0.0.0.0'),
    },
    keys: {
      port: { flag: options.portFlag ?? 'port', env: `${options.envPrefix}_PORT` },
      host: { flag: 'host', env: `${options.envPrefix}_HOST` },
    },
  };
}

/** Builds an app's `loadConfig(argv, env)` from its schema and the flag/env name of each key. */
export function configLoader<S extends z.ZodType>(
  schema: S,
  keys: Readonly<Record<string, ConfigKey>>,
): (argv: readonly string[], env: Env) => z.output<S> {
  return (argv, env) => loadConfig({ schema, keys, argv, env }).config;
}
