import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  configLoader,
  httpListenConfig,
} from '@aigw/service-kit';

const listen = httpListenConfig({ envPrefix: 'AIGW_WEBHOOK', defaultPort: 9443, portFlag: 'port' });

/** Configuration of the sidecar-injection webhook: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({ ...commonConfigShape, ...listen.shape });

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export const loadConfig = configLoader(ConfigSchema, { ...commonConfigKeys, ...listen.keys });
