import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { freePort } from '../run/ports.js';
import { usage } from './help.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function cli(
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await main(argv, { env, stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('aigw run (command line)', () => {
  it('prints its usage with --help', async () => {
    const { code, stdout } = await cli(['run', '--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(usage.run);
    expect(stdout).toContain('--admin-port');
    expect(stdout).toContain('OPENAI_BASE_URL');
  });

  it('exits 2 naming a bad flag', async () => {
    const { code, stderr } = await cli(['run', '--port', 'abc']);
    expect(code).toBe(2);
    expect(stderr).toBe('aigw run: --port (AIGW_PORT): expected a port number, got "abc"\n');
  });

  it('exits 1 with install instructions when Envoy is missing', async () => {
    const { code, stderr } = await cli(['run'], { ENVOY_BIN: '/nonexistent/envoy', PATH: '' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^aigw run: ENVOY_BIN=\/nonexistent\/envoy is not an executable file\./);
    expect(stderr).toContain('bash scripts/bootstrap.sh');
  });

  it('exits 1 listing every problem of an invalid file, before starting anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-run-cli-'));
    dirs.push(dir);
    const file = join(dir, 'gw.yaml');
    writeFileSync(
      file,
      'apiVersion: aigateway.envoyproxy.io/v1alpha1\nkind: AIServiceBackend\nmetadata: { name: x }\nspec: { schema: { name: Nope } }\n',
    );
    const ports = ['--port', String(await freePort()), '--admin-port', String(await freePort())];
    const { code, stderr } = await cli(['run', file, ...ports], {
      ENVOY_BIN: '/bin/true',
      TMPDIR: dir,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^aigw run: invalid configuration\n/);
    expect(stderr).toContain(`  ${file}: AIServiceBackend default/x: `);
  });
});

describe('aigw healthcheck (command line)', () => {
  it('prints its usage with --help', async () => {
    const { code, stdout } = await cli(['healthcheck', '--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(usage.healthcheck);
  });

  it('exits 1 with a one-line reason when nothing runs', async () => {
    const port = await freePort();
    const { code, stderr } = await cli(['healthcheck', '--admin-port', String(port)]);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`no Envoy admin at http://127.0.0.1:${String(port)}`);
  });

  it('reads the admin port from AIGW_ADMIN_PORT', async () => {
    const port = await freePort();
    const { stderr } = await cli(['healthcheck'], { AIGW_ADMIN_PORT: String(port) });
    expect(stderr).toContain(`127.0.0.1:${String(port)}`);
  });
});
