import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toConfigBundle, type FilterConfigInput } from '@aigw/filterapi';
import { health } from '@aigw/proto';
import {
  jsonLogLines,
  parsePrometheusText,
  removeTempDir,
  spawnManaged,
  tempDir,
  waitFor,
  withLogsOnFailure,
  type ManagedProcess,
} from '@aigw/testkit';
import { main } from '../src/main.js';
import { bundleFiles, ProjectedVolume } from './support/projected-volume.js';

// The admin HTTP port (--admin-port, upstream's -adminPort): the kubelet's readiness probe
// `GET /health` answers 503 until a config is in force and 200 from then on — the condition of
// gRPC health SERVING — on a real extproc process (from src, through tsx).

withLogsOnFailure();

const appDir = fileURLToPath(new URL('..', import.meta.url));
const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;

const config: FilterConfigInput = {
  version: 'v1',
  routes: { rules: [{ models: ['gpt-a'], cluster: 'c1' }] },
};

async function get(port: number, path: string, method = 'GET'): Promise<Response> {
  return fetch(`http://127.0.0.1:${String(port)}${path}`, { method });
}

describe('extproc admin port (--admin-port)', { timeout: 60_000 }, () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir('extproc-admin');
  });
  afterAll(async () => {
    await removeTempDir(dir);
  });

  it('answers /health 503 before the config and 200 once it is in force, as gRPC health', async () => {
    const volume = new ProjectedVolume(join(dir, 'bundle'));
    const bundle = toConfigBundle(JSON.stringify(config), {
      gatewayNamespace: 'team-a',
      gatewayName: 'gw',
      uuid: 'gen-1',
    });
    // The kubelet has written the index but not yet the part: the extproc waits, NOT_SERVING.
    volume.write({ 'index.yaml': bundle.indexText });
    const socket = join(dir, 'extproc.sock');
    const proc: ManagedProcess = await spawnManaged(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@aigw/source',
        'src/bin.ts',
        `--address=unix:${socket}`,
        `--config=${volume.dir}`,
        '--config-poll-ms=50',
        '--admin-port=0',
        '--admin-host=127.0.0.1',
      ],
      { name: 'extproc-admin', cwd: appDir },
    );
    const healthClient = new health.HealthClient(`unix:${socket}`, credentials.createInsecure());
    const grpcHealth = (): Promise<health.HealthCheckResponse_ServingStatus> =>
      new Promise((resolve, reject) => {
        healthClient.check({ service: '' }, (err, response) => {
          if (err) reject(err);
          else resolve(response.status);
        });
      });
    try {
      const port = await waitFor(
        () => jsonLogLines(proc, 'admin server listening')[0]?.['port'] as number | undefined,
        { timeoutMs: 30_000, description: 'the admin server listening' },
      );

      const before = await get(port, '/health');
      expect(before.status).toBe(503);
      expect(await before.json()).toEqual({ status: 'not ready' });
      expect(await grpcHealth()).toBe(NOT_SERVING);
      // Liveness does not depend on the config.
      expect((await get(port, '/healthz')).status).toBe(200);

      volume.write(bundleFiles(bundle));
      await waitFor(async () => (await get(port, '/health')).status === 200, {
        timeoutMs: 15_000,
        description: '/health 200 once the bundle is whole',
      });
      expect(await grpcHealth()).toBe(SERVING);
      expect(await (await get(port, '/health')).json()).toEqual({ status: 'ready' });
      // The GenAI metrics (none recorded yet: the families with their help and type) and the
      // process's own, read by Prometheus's reference parser.
      const metrics = await get(port, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const families = await parsePrometheusText(await metrics.text());
      const types = new Map(families.map((f) => [f.name, f.type]));
      for (const name of [
        'gen_ai_client_token_usage',
        'gen_ai_server_request_duration_seconds',
        'gen_ai_server_time_to_first_token_seconds',
        'gen_ai_server_time_per_output_token_seconds',
      ]) {
        expect(types.get(name), name).toBe('histogram');
      }
      expect(types.get('aigw_extproc_process_resident_memory_bytes')).toBe('gauge');
      expect((await get(port, '/nope')).status).toBe(404);
      expect((await get(port, '/health', 'POST')).status).toBe(405);

      // Graceful shutdown closes the admin server too: the process exits cleanly.
      await proc.stop();
      expect(proc.exitStatus()).toEqual({ code: 0, signal: null });
      await expect(get(port, '/healthz')).rejects.toThrow();
    } finally {
      healthClient.close();
      await proc.stop();
    }
  });

  it('runs no admin server without --admin-port, and closes it with the server', async () => {
    const file = join(dir, 'filter-config.json');
    writeFileSync(file, JSON.stringify(config));
    const common = ['--config', file, '--log-level', 'silent'];
    const without = await main({
      argv: [...common, '--address', `unix:${join(dir, 'a.sock')}`],
      env: {},
    });
    expect(without.admin).toBeUndefined();
    await without.close();

    const withAdmin = await main({
      argv: [
        ...common,
        '--address',
        `unix:${join(dir, 'b.sock')}`,
        '--admin-port=0',
        '--admin-host=127.0.0.1',
      ],
      env: {},
    });
    const port = withAdmin.admin?.port ?? 0;
    expect(port).toBeGreaterThan(0);
    expect((await get(port, '/health')).status).toBe(200);
    await withAdmin.close();
    await expect(get(port, '/health')).rejects.toThrow();
  });
});
