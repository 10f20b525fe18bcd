/**
 * `--extprocs N`: N extproc processes sharing ONE Unix socket through node:cluster (the primary
 * holds the listening socket and hands each accepted connection to a worker in turn). Run by plain
 * `node` (type stripping), with the extproc's own flags; the worker count and the extproc's
 * `dist/bin.js` come in AIGW_BENCH_EXTPROCS and AIGW_BENCH_EXTPROC_BIN.
 *
 * Why one socket and not N sockets behind an Envoy cluster of N endpoints: the router-level and
 * the upstream-level ext_proc streams of one HTTP request share state in the extproc's memory
 * (`RequestContexts`, linked by `x-ai-eg-internal-req-id`), so both must reach the same process.
 * Envoy picks an endpoint per gRPC stream (its ext_proc client has no hash policy), so with N
 * endpoints the two streams of a request land on different processes about (N-1)/N of the time.
 * With one socket, each Envoy worker thread keeps one HTTP/2 connection to it, and every stream
 * of a request runs on the worker that took the request: the connection, hence the extproc
 * process, is the same for both. Envoy needs as many workers (`--envoy-concurrency`) as there are
 * extprocs for the load to spread.
 */
import cluster from 'node:cluster';
import { rmSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';

// This file is an entry point like a bin.ts: it reads its own environment.
/* eslint-disable no-restricted-properties */
const workers = Number(process.env.AIGW_BENCH_EXTPROCS ?? '2');
const bin = process.env.AIGW_BENCH_EXTPROC_BIN ?? '';
/* eslint-enable no-restricted-properties */
const address = process.argv[process.argv.indexOf('--address') + 1] ?? '';
const socket = address.replace(/^unix:(\/\/)?/, '');

function runPrimary(): void {
  rmSync(socket, { force: true });
  for (let i = 0; i < workers; i++) cluster.fork();
  let exited = 0;
  cluster.on('exit', () => {
    exited++;
    if (exited === workers) process.exit(0);
  });
  const stop = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function runWorker(): Promise<void> {
  // The service removes a stale socket file before binding; here the primary did that once, and
  // a worker removing it would unlink the socket its siblings already share.
  const require = createRequire(import.meta.url);
  const fsPromises = require('node:fs/promises') as {
    rm: (path: string, options?: object) => Promise<void>;
  };
  const rm = fsPromises.rm;
  fsPromises.rm = (path, options) => (path === socket ? Promise.resolve() : rm(path, options));
  syncBuiltinESMExports();
  process.on('disconnect', () => process.exit(0));
  await import(bin);
}

if (cluster.isPrimary) runPrimary();
else await runWorker();
