import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  configLoader,
  httpListenConfig,
} from '@aigw/service-kit';

const listen = httpListenConfig({
  envPrefix: 'AIGW_CONTROLLER',
  defaultPort: 8081,
  portFlag: 'health-port',
});

/** Configuration of the controller: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({ ...commonConfigShape, ...listen.shape });

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export const loadConfig = configLoader(ConfigSchema, { ...commonConfigKeys, ...listen.keys });
