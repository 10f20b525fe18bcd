import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';
import { extProc } from '@aigw/proto';
import { isConfigError } from '@aigw/service-kit';
import { removeTempDir, tempDir, waitFor } from '@aigw/testkit';
import { main, type ExtProcServer } from '../src/main.js';
import {
  commonOf,
  envoy,
  immediateOf,
  ProcessStream,
  setHeadersOf,
} from './support/ext-proc-harness.js';

describe('main', () => {
  let dir: string;
  let configPath: string;
  let socket: string;
  let running: ExtProcServer | undefined;
  let client: extProc.ExternalProcessorClient | undefined;

  function writeConfig(config: FilterConfigInput | string): void {
    writeFileSync(
      `${configPath}.tmp`,
      typeof config === 'string' ? config : JSON.stringify(config),
    );
    renameSync(`${configPath}.tmp`, configPath);
  }

  const routedTo = (cluster: string): FilterConfigInput => ({
    version: 'v1',
    routes: { rules: [{ models: ['gpt-a'], cluster }] },
  });

  function stream(server: ExtProcServer): ProcessStream {
    client ??= new extProc.ExternalProcessorClient(
      server.bound.address,
      credentials.createInsecure(),
    );
    return new ProcessStream(client.process());
  }

  /** The cluster a fresh request for gpt-a is routed to. */
  async function clusterOfGptA(server: ExtProcServer): Promise<string | undefined> {
    const s = stream(server);
    await s.send(envoy.post('/v1/chat/completions'));
    const response = await s.send(envoy.requestBody({ model: 'gpt-a' }));
    s.end();
    await s.status;
    return setHeadersOf(commonOf(response, 'requestBody').headerMutation)['x-ai-eg-cluster'];
  }

  beforeEach(() => {
    dir = tempDir('main');
    configPath = join(dir, 'filter-config.yaml');
    socket = join(dir, 'extproc.sock');
    writeConfig(routedTo('c1'));
  });

  afterEach(async () => {
    client?.close();
    client = undefined;
    await running?.close();
    running = undefined;
    await removeTempDir(dir);
  });

  it('serves ext_proc on the address from the flags', async () => {
    running = await main({
      argv: ['--config', configPath, '--address', `unix:${socket}`, '--log-level', 'silent'],
      env: {},
    });
    expect(running.bound.address).toBe(`unix:${socket}`);
    const s = stream(running);
    expect(immediateOf(await s.send(envoy.post('/v1/nope'))).status?.code).toBe(404);
    s.end();
    await s.status;
    expect(await clusterOfGptA(running)).toBe('c1');
  });

  it('reads the config path and address from the environment', async () => {
    running = await main({
      argv: [],
      env: {
        AIGW_EXTPROC_CONFIG: configPath,
        AIGW_EXTPROC_ADDRESS: `unix:${socket}`,
        AIGW_LOG_LEVEL: 'silent',
      },
    });
    expect(await clusterOfGptA(running)).toBe('c1');
  });

  it('applies config changes while running', async () => {
    const server = await main({
      argv: [
        `--config=${configPath}`,
        `--address=unix:${socket}`,
        '--config-poll-ms=20',
        '--log-level=silent',
      ],
      env: {},
    });
    running = server;
    writeConfig(routedTo('c2'));
    await waitFor(async () => (await clusterOfGptA(server)) === 'c2', {
      timeoutMs: 5_000,
      description: 'gpt-a routed to the new cluster',
    });
  });

  it('refuses to start without a config file flag', async () => {
    const error: unknown = await main({
      argv: ['--address', `unix:${socket}`, '--log-level', 'silent'],
      env: {},
    }).catch((err: unknown) => err);
    expect(isConfigError(error)).toBe(true);
    expect(String(error)).toMatch(/the filter config file is required/);
  });

  it('refuses to start on an unusable config file, before listening', async () => {
    writeConfig('version: v1\nbackends: [ {name: broken');
    await expect(
      main({
        argv: ['--config', configPath, '--address', `unix:${socket}`, '--log-level', 'silent'],
        env: {},
      }),
    ).rejects.toThrow(configPath);
    expect(existsSync(socket)).toBe(false);
  });
});
