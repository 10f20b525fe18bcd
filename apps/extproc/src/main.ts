import { createLogger, type MainArgs } from '@aigw/service-kit';
import { createEndpointMatcher } from '@aigw/translator';
import { loadConfig } from './config.js';
import { ConfigWatcher } from './config-watcher.js';
import { startExtProcServer, type ExtProcServer } from './server.js';

/**
 * Starts the ext_proc server from flags and environment: loads the filter config (refusing to
 * start on a bad one), watches it, and serves until closed.
 */
export async function main(args: MainArgs): Promise<ExtProcServer> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-extproc',
    level: config.logLevel,
    format: config.logFormat,
  });
  const watcher = new ConfigWatcher({ path: config.config, log, intervalMs: config.configPollMs });
  await watcher.start();
  const server = await startExtProcServer({
    address: config.address,
    log,
    runtime: () => watcher.current,
    endpoints: createEndpointMatcher({
      rootPrefix: config.rootPrefix,
      prefixes: config.endpointPrefixes,
    }),
  });
  return {
    ...server,
    close: async () => {
      watcher.close();
      await server.close();
    },
  };
}

export { startExtProcServer, type ExtProcServer, type ExtProcServerOptions } from './server.js';
export { ConfigWatcher, type ConfigWatcherOptions } from './config-watcher.js';
export { metadataKeys } from './processor/metadata.js';
export { backendNameAttribute } from './processor/upstream-processor.js';
