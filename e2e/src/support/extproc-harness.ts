import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  ConfigWatcher,
  startExtProcServer,
  type ExtProcServer,
  type ExtProcServerOptions,
} from '@aigw/extproc';
import type { FilterConfigInput } from '@aigw/filterapi';
import { stringify } from 'yaml';

/** An in-process extproc whose log lines the test can read. */
export interface TestExtProc {
  readonly server: ExtProcServer;
  readonly socket: string;
  readonly configPath: string;
  /** Every log line so far (JSON text). */
  logs(): string;
  /** Rewrites the config file (the watcher applies it). */
  writeConfig(config: FilterConfigInput): void;
  stop(): Promise<void>;
}

/** Starts the extproc the way main() does, with a debug logger captured in memory. */
export async function startTestExtProc(options: {
  readonly dir: string;
  readonly config: FilterConfigInput;
  /** Where finished requests are reported (`@aigw/extproc/metrics`' GenAiMetrics). */
  readonly metrics?: ExtProcServerOptions['metrics'];
}): Promise<TestExtProc> {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const configPath = join(options.dir, 'filter-config.yaml');
  const writeConfig = (config: FilterConfigInput): void => {
    writeFileSync(`${configPath}.tmp`, stringify(config));
    // Atomic replace, as a Kubernetes Secret volume update does.
    renameSync(`${configPath}.tmp`, configPath);
  };
  writeConfig(options.config);
  const watcher = new ConfigWatcher({ path: configPath, log, intervalMs: 100 });
  await watcher.start();
  const socket = join(options.dir, 'extproc.sock');
  const server = await startExtProcServer({
    address: `unix:${socket}`,
    log,
    runtime: () => watcher.current,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  return {
    server,
    socket,
    configPath,
    logs: () => chunks.join(''),
    writeConfig,
    stop: async () => {
      watcher.close();
      await server.close();
    },
  };
}
