import { createLogger, type GrpcService, type MainArgs } from '@aigw/service-kit';
import { loadConfig } from './config.js';
import { startExtProcServer } from './server.js';

/** Starts the ext_proc server from flags and environment. */
export async function main(args: MainArgs): Promise<GrpcService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-extproc',
    level: config.logLevel,
    format: config.logFormat,
  });
  return startExtProcServer({ address: config.address, log });
}

export { startExtProcServer, type ExtProcServerOptions } from './server.js';
export { extProcHeader } from './processor/pass-through.js';
