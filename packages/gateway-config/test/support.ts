import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { findRepoRoot, spawnManaged, type ManagedProcess } from '@aigw/testkit';

import type { StandaloneConfig } from '@aigw/gateway-config';

const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the tests inside the repository');
  })();
const tsx = fileURLToPath(import.meta.resolve('tsx'));

/** Writes `content` to `path` atomically (temporary file + rename), creating the directory. */
export function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/** Where the tests put the extproc config and the rate-limit rules under the state directory. */
export const filterConfigFile = 'filter-config.yaml';
export const rulesFile = 'ratelimit/rules.yaml';

/** Writes everything `aigw run` would write, in its order: credentials, configs, clusters first. */
export function writeStandalone(stateDir: string, config: StandaloneConfig): void {
  for (const [path, content] of Object.entries(config.files)) {
    writeAtomic(join(stateDir, path), content);
  }
  writeAtomic(join(stateDir, filterConfigFile), stringify(config.filterConfig));
  if (config.rateLimitRules !== undefined) {
    writeAtomic(join(stateDir, rulesFile), stringify(config.rateLimitRules));
  }
  for (const [path, content] of Object.entries(config.xds)) {
    writeAtomic(join(stateDir, path), stringify(content, { lineWidth: 0 }));
  }
}

/** Starts `apps/<app>/src/bin.ts` through tsx, as deployed but without a build. */
export function spawnApp(app: string, args: readonly string[]): Promise<ManagedProcess> {
  return spawnManaged(
    process.execPath,
    [
      '--import',
      tsx,
      '--conditions=@aigw/source',
      join(root, 'apps', app, 'src', 'bin.ts'),
      ...args,
    ],
    { name: app, cwd: root },
  );
}

/** Starts the extproc on `socket` with the config under `stateDir`; resolves once it listens. */
export async function startExtProc(stateDir: string, socket: string): Promise<ManagedProcess> {
  const proc = await spawnApp('extproc', [
    ...['--address', `unix:${socket}`],
    ...['--config', join(stateDir, filterConfigFile), '--config-poll-ms', '100'],
  ]);
  await proc.untilReady(() => existsSync(socket), {
    timeoutMs: 20_000,
    description: 'extproc socket',
  });
  return proc;
}

/** Starts apps/ratelimit (memory store) on 127.0.0.1:`port` with the rules under `stateDir`. */
export async function startRateLimit(stateDir: string, port: number): Promise<ManagedProcess> {
  const proc = await spawnApp('ratelimit', [
    ...['--address', `127.0.0.1:${String(port)}`],
    ...['--config-dir', join(stateDir, dirname(rulesFile)), '--config-poll-ms', '100'],
  ]);
  await proc.untilReady(() => isListening(port), {
    timeoutMs: 20_000,
    description: 'ratelimit port',
  });
  return proc;
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** An OpenAI chat completion with the given usage. */
export function chatCompletion(name: string, totalTokens = 5): object {
  return {
    id: `chatcmpl-${name}`,
    object: 'chat.completion',
    model: name,
    choices: [{ index: 0, message: { role: 'assistant', content: name }, finish_reason: 'stop' }],
    usage: { prompt_tokens: totalTokens - 2, completion_tokens: 2, total_tokens: totalTokens },
  };
}

/** POSTs an OpenAI chat completion request for `model` to the gateway at `url`. */
export function chat(
  url: string,
  model: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}
