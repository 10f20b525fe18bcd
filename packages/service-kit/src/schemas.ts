import { z } from 'zod';

/** `--log-level`: pino levels. */
export const logLevelSchema = z
  .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
  .default('info');

/** `--log-format`: `json` (default) or `pretty`. */
export const logFormatSchema = z.enum(['json', 'pretty']).default('json');

/** A TCP port given as a flag or environment string. */
export const portSchema = z.coerce
  .number({ error: (issue) => `expected a port number, got ${JSON.stringify(issue.input)}` })
  .int('expected a whole port number')
  .min(1, 'expected a port from 1 to 65535')
  .max(65535, 'expected a port from 1 to 65535');

/** A TCP port where 0 means "pick a free one" (useful for tests). */
export const portOrZeroSchema = z.coerce
  .number({ error: (issue) => `expected a port number, got ${JSON.stringify(issue.input)}` })
  .int('expected a whole port number')
  .min(0, 'expected a port from 0 to 65535')
  .max(65535, 'expected a port from 0 to 65535');

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

/** Milliseconds, from a flag or env string. */
export const millisecondsSchema = z.coerce
  .number({ error: (issue) => `expected milliseconds, got ${JSON.stringify(issue.input)}` })
  .int('expected whole milliseconds')
  .min(0, 'expected zero or more milliseconds');
