import { z } from 'zod';

/** An app's configuration (flags + environment) is invalid; the message is one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}

/** Structural guard for {@link ConfigError} that does not rely on `instanceof`. */
export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof Error && err.name === 'ConfigError';
}

/**
 * Formats zod issues as one line: `--port: expected a number from 1 to 65535 (got "abc"); ...`.
 * `flagOf` maps a schema key to the flag users typed.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  flagOf: (key: string) => string,
): string {
  return issues
    .map((issue) => {
      const key = z.core.toDotPath(issue.path);
      return key ? `${flagOf(key)}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
