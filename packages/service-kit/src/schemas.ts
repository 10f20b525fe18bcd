import { z } from 'zod';

/** `--log-level`: pino levels. */
export const logLevelSchema = z
  .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
  .default('info');

/** `--log-format`: `json` (default) or `pretty`. */
export const logFormatSchema = z.enum(['json', 'pretty']).default('json');

/**
 * A whole number read from a flag or environment string (or given as a number), with messages
 * that quote what the user typed: `expected a port number, got "abc"`.
 */
function integerInRange(options: { what: string; min: number; max: number }) {
  const { what, min, max } = options;
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const n = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${what} from ${String(min)} to ${String(max)}, got ${String(n)}`,
      });
      return z.NEVER;
    }
    return n;
  });
}

/** A TCP port given as a flag or environment string. */
export const portSchema = integerInRange({ what: 'a port number', min: 1, max: 65535 });

/** A TCP port where 0 means "pick a free one" (useful for tests). */
export const portOrZeroSchema = integerInRange({ what: 'a port number', min: 0, max: 65535 });

/** Milliseconds, from a flag or env string. */
export const millisecondsSchema = integerInRange({
  what: 'milliseconds',
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
});

const hostPort = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

/**
 * A gRPC listen address: `unix:/path/to.sock` (or `unix:///path`), `host:port` or `:port`.
 * Ports must be 0-65535 (0 picks a free port).
 */
export const listenAddressSchema = z.string().refine(
  (value) => {
    if (value.startsWith('unix:')) return value.replace(/^unix:(\/\/)?/, '').startsWith('/');
    const match = hostPort.exec(value);
    return match !== null && Number(match[1]) <= 65535;
  },
  { error: 'expected unix:/absolute/path.sock, host:port or :port' },
);

/**
 * A string flag parsed by `parse` (e.g. `@aigw/translator`'s `parseRootPrefix`): an error `isInvalid`
 * recognises becomes the field's one issue (its message, so the user reads one line naming the
 * flag); anything else is a bug and is thrown.
 */
export function parsedString<T>(
  parse: (text: string) => T,
  isInvalid: (err: unknown) => err is Error,
): z.ZodPipe<z.ZodString, z.ZodTransform<Awaited<T>, string>> {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (err) {
      if (!isInvalid(err)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, input: text });
      return z.NEVER;
    }
  });
}
