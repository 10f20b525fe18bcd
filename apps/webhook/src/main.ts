import { createLogger, startHttpService, type HttpService, type MainArgs } from '@aigw/service-kit';
import { loadConfig } from './config.js';

/**
 * Starts the sidecar-injection webhook. Pod mutation (`/mutate` over TLS) lands in a later issue; for now
 * it serves health endpoints only.
 */
export async function main(args: MainArgs): Promise<HttpService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-webhook',
    level: config.logLevel,
    format: config.logFormat,
  });
  return startHttpService({ host: config.host, port: config.port, log });
}
