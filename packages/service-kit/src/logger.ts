import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PinoPretty } from 'pino-pretty';

// pino-pretty (~+2 MiB RSS with its dependencies) is loaded only for `--log-format pretty`, and
// synchronously (it is CommonJS) so that createLogger stays synchronous.
const requireModule = createRequire(import.meta.url);
const loadPinoPretty = (): typeof PinoPretty =>
  (requireModule('pino-pretty') as { PinoPretty: typeof PinoPretty }).PinoPretty;

/** Log settings every app accepts (flags `--log-level`, `--log-format`). */
export interface LoggerOptions {
  readonly name: string;
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** `json` for machines (default); `pretty` is plain one-line text for humans. */
  readonly format: 'json' | 'pretty';
  /** Where log lines go; defaults to stderr so stdout stays free for command output. */
  readonly destination?: NodeJS.WritableStream;
}

/** Header and field names whose values are secrets, wherever they appear in a log object. */
const secretKeys = [
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'x-amz-security-token',
  'aws_secret_access_key',
  'secretAccessKey',
  'sessionToken',
  'cookie',
  'apiKey',
  'secret',
  'password',
  'token',
  // Filter-config credentials inlined for Kubernetes (`auth.apiKey.key`,
  // `auth.aws.credentialFileLiteral`, `auth.azure|gcp.accessToken`) and the blocks holding them.
  'azureApiKey',
  'anthropicApiKey',
  'accessToken',
  'credentialFileLiteral',
  'aws_session_token',
  // A Secret's values, and a filter-config bundle part (which holds inline credentials).
  'stringData',
  'chunk',
] as const;

const segment = (key: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;

/**
 * pino redaction paths for {@link secretKeys} at the top level and up to two levels down (e.g.
 * `headers.authorization`, `req.headers["x-api-key"]`), so a credential never reaches a log line.
 */
export const redactedPaths: readonly string[] = [
  ...secretKeys.flatMap((key) =>
    ['', '*', '*.*'].map((prefix) => `${prefix}${segment(key)}`.replace(/^\./, '')),
  ),
  // A whole filter config (or a runtime config holding one), or one backend, logged by mistake:
  // the auth blocks, which may carry inline credentials. No path may lie below another one: the
  // redactor clones only along the paths, so a nested pair would write into the (frozen) config.
  ...['', '*.', '*.*.'].map((prefix) => `${prefix}backends[*].auth`),
  '*.auth.*.accessToken',
  '*.auth.aws.credentialFileLiteral',
];

/** Creates the one root logger of an app. Call it once, in `main.ts`, and pass it down. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stderr;
  const stream =
    options.format === 'pretty'
      ? loadPinoPretty()({
          destination,
          sync: true,
          colorize: false,
          translateTime: 'SYS:HH:MM:ss.l',
        })
      : destination;
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: [...redactedPaths], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

export type { Logger } from 'pino';
