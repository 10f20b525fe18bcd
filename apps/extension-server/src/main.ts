import { createLogger, startGrpcService, type GrpcService, type MainArgs } from '@aigw/service-kit';
import { loadConfig } from './config.js';

/**
 * Starts the Envoy Gateway extension server. For now it serves gRPC health only; the service itself lands with
 * a later issue.
 */
export async function main(args: MainArgs): Promise<GrpcService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-extension-server',
    level: config.logLevel,
    format: config.logFormat,
  });
  return startGrpcService({ address: config.address, log });
}
