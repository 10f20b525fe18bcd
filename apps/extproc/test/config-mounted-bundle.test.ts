import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toConfigBundle, type ConfigBundle, type FilterConfigInput } from '@aigw/filterapi';
import { extProc, health } from '@aigw/proto';
import {
  jsonLogLines,
  removeTempDir,
  spawnManaged,
  tempDir,
  waitFor,
  withLogsOnFailure,
  type ManagedProcess,
} from '@aigw/testkit';
import { commonOf, envoy, ProcessStream, setHeadersOf } from './support/ext-proc-harness.js';
import { bundleFiles, ProjectedVolume } from './support/projected-volume.js';

// The extproc as it starts in an Envoy pod when nothing else is reachable: a real process (from
// src, through tsx) whose only config is the mounted copy of its Gateway's config bundle, a
// projected volume of the index Secret and the part Secrets written the way the kubelet writes
// it (`..data` swapped atomically). The config is over 1 MiB, so there is no legacy Secret: the
// bundle is the only mounted copy.

withLogsOnFailure();

const appDir = fileURLToPath(new URL('..', import.meta.url));
const gateway = { gatewayNamespace: 'team-a', gatewayName: 'gw' };
const routes = 2_000;
const lastModel = `model-${String(routes - 1)}`;
const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
const transitionMessage =
  'config bundle parts do not match its index; keeping the last good config until the next change';

/**
 * A Gateway of `routes` AIGatewayRoutes as the controller writes it: per route one model routed
 * to a cluster named after `generation`, two backends with an inline key and a header mutation.
 */
function largeConfig(generation: string): FilterConfigInput {
  const indexes = Array.from({ length: routes }, (_, i) => i);
  return {
    version: 'v1',
    uuid: generation,
    routes: {
      rules: indexes.map((i) => ({
        models: [`model-${String(i)}`],
        cluster: `${generation}-route-${String(i)}`,
      })),
    },
    backends: indexes.flatMap((i) =>
      [0, 1].map((j) => ({
        name: `team-a/backend-${String(i)}-${String(j)}/route/route-${String(i)}/rule/0/ref/${String(j)}`,
        schema: { name: 'OpenAI' as const },
        modelNameOverride: `upstream-model-${String(i)}-${String(j)}`,
        auth: {
          apiKey: {
            key: `sk-${createHash('sha256')
              .update(`${generation}/${String(i)}`)
              .digest('hex')}`,
          },
        },
        headerMutation: { set: [{ name: 'x-team', value: `team-${String(i % 50)}` }] },
      })),
    ),
    models: indexes.map((i) => ({ name: `model-${String(i)}`, ownedBy: 'Envoy AI Gateway' })),
  };
}

/** The bundle the controller would write for `largeConfig(generation)` (JSON, as it writes). */
const bundleOf = (generation: string): ConfigBundle =>
  toConfigBundle(JSON.stringify(largeConfig(generation)), { ...gateway, uuid: generation });

interface Extproc {
  readonly proc: ManagedProcess;
  readonly client: extProc.ExternalProcessorClient;
  readonly health: health.HealthClient;
}

describe(
  'extproc on a mounted config bundle directory (--config <dir>)',
  { timeout: 120_000 },
  () => {
    let dir: string;
    const started: Extproc[] = [];
    const generations = new Map<string, ConfigBundle>();

    /** The bundle of `generation`, built once (2,000 routes take a moment to serialise). */
    function bundle(generation: string): ConfigBundle {
      let b = generations.get(generation);
      if (!b) {
        b = bundleOf(generation);
        generations.set(generation, b);
      }
      return b;
    }

    async function startExtproc(name: string, configPath: string): Promise<Extproc> {
      const socket = join(dir, `${name}.sock`);
      const proc = await spawnManaged(
        process.execPath,
        [
          '--import',
          'tsx',
          '--conditions=@aigw/source',
          'src/bin.ts',
          `--address=unix:${socket}`,
          `--config=${configPath}`,
          '--config-poll-ms=50',
          '--log-level=debug',
        ],
        { name, cwd: appDir, logLimit: 4_000_000 },
      );
      const target = `unix:${socket}`;
      const extproc = {
        proc,
        client: new extProc.ExternalProcessorClient(target, credentials.createInsecure()),
        health: new health.HealthClient(target, credentials.createInsecure()),
      };
      started.push(extproc);
      return extproc;
    }

    /** The cluster `model` is routed to, for one request. */
    async function clusterOf(extproc: Extproc, model: string): Promise<string | undefined> {
      const router = new ProcessStream(extproc.client.process());
      await router.send(envoy.post('/v1/chat/completions'));
      const routed = await router.send(envoy.requestBody({ model, messages: [] }));
      router.end();
      await router.status;
      return setHeadersOf(commonOf(routed, 'requestBody').headerMutation)['x-ai-eg-cluster'];
    }

    async function untilServed(extproc: Extproc, generation: string): Promise<void> {
      await waitFor(
        async () => {
          try {
            return (
              (await clusterOf(extproc, lastModel)) === `${generation}-route-${String(routes - 1)}`
            );
          } catch {
            return false; // not listening yet
          }
        },
        { timeoutMs: 60_000, intervalMs: 50, description: `${generation} served` },
      );
    }

    function healthOf(extproc: Extproc): Promise<health.HealthCheckResponse_ServingStatus> {
      return new Promise((resolve, reject) => {
        extproc.health.check({ service: '' }, (err, response) => {
          if (err) reject(err);
          else resolve(response.status);
        });
      });
    }

    /** The JSON log lines of `proc` with message `msg`. */
    const logLines = (proc: ManagedProcess, msg: string): Record<string, unknown>[] =>
      jsonLogLines(proc).filter((entry) => entry['msg'] === msg);

    /** Waits for the `config reloaded` lines to name `uuids` (a line follows the swap it reports). */
    async function untilReloaded(proc: ManagedProcess, uuids: readonly string[]): Promise<void> {
      await waitFor(() => logLines(proc, 'config reloaded').length >= uuids.length, {
        timeoutMs: 10_000,
        description: `config reloaded ${uuids.join(', ')}`,
      });
      expect(logLines(proc, 'config reloaded').map((line) => line.uuid)).toEqual(uuids);
    }

    beforeAll(() => {
      dir = tempDir('extproc-mounted-bundle');
    });

    afterAll(async () => {
      for (const { client, health: healthClient } of started) {
        client.close();
        healthClient.close();
      }
      await Promise.all(started.map(({ proc }) => proc.stop()));
      await removeTempDir(dir);
    });

    let extproc: Extproc;
    let volume: ProjectedVolume;

    it('serves a config of 2,000 routes (over 1 MiB, several parts) from the mounted bundle', async () => {
      const first = bundle('gen-1');
      const bytes = first.parts.reduce((sum, part) => sum + part.data.length, 0);
      expect(bytes).toBeGreaterThan(1024 * 1024);
      expect(first.parts.length).toBeGreaterThanOrEqual(2);
      volume = new ProjectedVolume(join(dir, 'filter-config-bundle'));
      volume.write(bundleFiles(first));
      extproc = await startExtproc('extproc-bundle', volume.dir);
      await untilServed(extproc, 'gen-1');
      await waitFor(() => logLines(extproc.proc, 'config loaded').length > 0, {
        timeoutMs: 10_000,
        description: 'config loaded logged',
      });
      expect(await clusterOf(extproc, 'model-0')).toBe('gen-1-route-0');
      expect(await healthOf(extproc)).toBe(SERVING);
      expect(logLines(extproc.proc, 'config loaded')).toEqual([
        expect.objectContaining({ path: volume.dir, uuid: 'gen-1', backends: 2 * routes }),
      ]);
    });

    it("follows the kubelet's update of the volume (..data swap)", async () => {
      volume.write(bundleFiles(bundle('gen-2')));
      await untilServed(extproc, 'gen-2');
      await untilReloaded(extproc.proc, ['gen-2']);
      expect(logLines(extproc.proc, 'config reloaded')[0]).toMatchObject({ path: volume.dir });
    });

    it('keeps the last good config when the parts do not match the index, and says so once', async () => {
      const next = bundle('gen-3');
      // The kubelet's view of the index Secret is newer than that of the part Secrets.
      volume.write({ ...bundleFiles(bundle('gen-2')), 'index.yaml': next.indexText });
      await waitFor(() => logLines(extproc.proc, transitionMessage).length === 1, {
        timeoutMs: 30_000,
        description: 'the mismatched bundle reported',
      });
      const [warning] = logLines(extproc.proc, transitionMessage);
      expect(warning).toMatchObject({ level: 40, path: volume.dir });
      expect(['part_size_mismatch', 'checksum_mismatch']).toContain(
        (warning?.err as { code?: string } | undefined)?.code,
      );
      // Still the whole previous config, never a half of the new one.
      expect(await clusterOf(extproc, lastModel)).toBe(`gen-2-route-${String(routes - 1)}`);
      expect(await clusterOf(extproc, 'model-0')).toBe('gen-2-route-0');
      expect(await healthOf(extproc)).toBe(SERVING);

      // The other way round: the index of gen-2 with one part of gen-3 (same size, other bytes).
      volume.write({ ...bundleFiles(bundle('gen-2')), 'parts/000': next.parts[0]?.data ?? '' });
      await waitFor(() => logLines(extproc.proc, transitionMessage).length === 2, {
        timeoutMs: 30_000,
        description: 'the second mismatch reported',
      });
      expect(await clusterOf(extproc, lastModel)).toBe(`gen-2-route-${String(routes - 1)}`);

      // The next sync makes the volume whole again: applied.
      volume.write(bundleFiles(next));
      await untilServed(extproc, 'gen-3');
      await untilReloaded(extproc.proc, ['gen-2', 'gen-3']);
      expect(extproc.proc.exitStatus()).toBeUndefined();
    });

    it('starts on a bundle between generations without exiting: NOT_SERVING until it is whole', async () => {
      const late = new ProjectedVolume(join(dir, 'late-bundle'));
      late.write({ ...bundleFiles(bundle('gen-2')), 'index.yaml': bundle('gen-3').indexText });
      const waiting = await startExtproc('extproc-late', late.dir);
      await waitFor(() => logLines(waiting.proc, transitionMessage).length === 1, {
        timeoutMs: 60_000,
        description: 'the mismatched bundle reported at start',
      });
      await waitFor(
        async () => {
          try {
            return (await healthOf(waiting)) === NOT_SERVING;
          } catch {
            return false; // not listening yet
          }
        },
        { timeoutMs: 30_000, description: 'listening, NOT_SERVING' },
      );
      expect(waiting.proc.exitStatus()).toBeUndefined();
      late.write(bundleFiles(bundle('gen-3')));
      await untilServed(waiting, 'gen-3');
      expect(await healthOf(waiting)).toBe(SERVING);
    });

    it('never writes a credential to its logs', () => {
      for (const { proc } of started) {
        const logs = proc.logTail(1_000_000);
        for (const generation of generations.keys()) {
          const key = createHash('sha256').update(`${generation}/0`).digest('hex');
          expect(logs).not.toContain(key);
        }
      }
    });
  },
);
