import { createLogger, startGrpcService, type GrpcService, type MainArgs } from '@aigw/service-kit';
import { loadConfig } from './config.js';

/**
 * Starts the Envoy rate-limit service (RLS v3). For now it serves gRPC health only; the service itself lands with
 * 4/7.
 */
export async function main(args: MainArgs): Promise<GrpcService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-ratelimit',
    level: config.logLevel,
    format: config.logFormat,
  });
  return startGrpcService({ address: config.address, log });
}
