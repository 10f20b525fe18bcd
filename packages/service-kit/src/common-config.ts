import type { ConfigKey } from './load-config.js';
import { logFormatSchema, logLevelSchema } from './schemas.js';

/** Schema fields every app shares: logging. Spread into an app's `z.object({...})`. */
export const commonConfigShape = {
  logLevel: logLevelSchema,
  logFormat: logFormatSchema,
} as const;

/** Flag and env names of {@link commonConfigShape}. */
export const commonConfigKeys: Readonly<Record<keyof typeof commonConfigShape, ConfigKey>> = {
  logLevel: { flag: 'log-level', env: 'AIGW_LOG_LEVEL' },
  logFormat: { flag: 'log-format', env: 'AIGW_LOG_FORMAT' },
};
