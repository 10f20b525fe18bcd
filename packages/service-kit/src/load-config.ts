import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError, formatIssues } from './config-error.js';

/** One configuration key: its flag (kebab-case, without `--`), env var, and whether it is boolean. */
export interface ConfigKey {
  readonly flag: string;
  readonly env?: string;
  readonly boolean?: boolean;
}

/** How to read a schema's keys from flags and the environment. */
export interface LoadConfigOptions<S extends z.ZodType> {
  readonly schema: S;
  readonly keys: Readonly<Record<string, ConfigKey>>;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Accept positional arguments (returned as `positionals`); otherwise they are an error. */
  readonly allowPositionals?: boolean;
}

/** The validated configuration and any positional arguments. */
export interface LoadedConfig<T> {
  readonly config: T;
  readonly positionals: readonly string[];
}

/**
 * Reads flags (which win) and environment variables into one object and validates it with the
 * schema, so defaults and rules live beside each field. Throws a {@link ConfigError} with a
 * one-line message on unknown flags or invalid values.
 */
export function loadConfig<S extends z.ZodType>(
  options: LoadConfigOptions<S>,
): LoadedConfig<z.output<S>> {
  const entries = Object.entries(options.keys);
  const parseOptions = Object.fromEntries(
    entries.map(([, key]) => [key.flag, { type: key.boolean ? 'boolean' : 'string' } as const]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...options.argv],
      options: parseOptions,
      strict: true,
      allowPositionals: options.allowPositionals ?? false,
    });
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const input: Record<string, unknown> = {};
  for (const [name, key] of entries) {
    const fromFlag = parsed.values[key.flag];
    const fromEnv = key.env === undefined ? undefined : options.env[key.env];
    const value = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (value !== undefined) input[name] = typeof value === 'boolean' ? String(value) : value;
  }
  const result = options.schema.safeParse(input);
  if (!result.success) {
    const flagOf = (name: string): string => {
      const key = options.keys[name.split('.')[0] ?? name];
      if (!key) return name;
      return key.env ? `--${key.flag} (${key.env})` : `--${key.flag}`;
    };
    throw new ConfigError(formatIssues(result.error.issues, flagOf));
  }
  return { config: result.data, positionals: parsed.positionals };
}
