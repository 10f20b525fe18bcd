import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  configLoader,
  grpcListenConfig,
} from '@aigw/service-kit';

const listen = grpcListenConfig({ envPrefix: 'AIGW_EXTENSION_SERVER', defaultAddress: ':1063' });

/** Configuration of the Envoy Gateway extension server: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({ ...commonConfigShape, ...listen.shape });

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export const loadConfig = configLoader(ConfigSchema, { ...commonConfigKeys, ...listen.keys });
