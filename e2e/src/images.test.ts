import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, realpath, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';

import { beforeAll, describe, expect, it } from 'vitest';
import {
  findRepoRoot,
  getFreePort,
  spawnManaged,
  useHarness,
  type ManagedProcess,
} from '@aigw/testkit';

/**
 * The container images (deploy/images/<app>.Dockerfile, docs/images.md) are `pnpm deploy --prod`
 * output on a distroless Node base. No container engine runs here, so this runs the same deploy
 * step into a temp dir and starts the app from it with plain `node`, no NODE_PATH, the folder as
 * cwd and nothing of the workspace reachable: what the image would run.
 */
const harness = useHarness();
const run = promisify(execFile);
const root = findRepoRoot() ?? '.';
const apps = ['controller', 'webhook', 'extension-server', 'ratelimit', 'extproc', 'aigw'] as const;
type App = (typeof apps)[number];
// Only the directory of this Node: the app must not find anything else on PATH either.
const bareEnv = { PATH: dirname(process.execPath) };
const deployTimeoutMs = 180_000;

function packageJson(dir: string): {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  packageManager?: string;
} {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as ReturnType<
    typeof packageJson
  >;
}

/** Every symlink under `dir`, with where it resolves. */
async function symlinks(dir: string): Promise<{ link: string; target: string }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const links = entries.filter((entry) => entry.isSymbolicLink());
  return Promise.all(
    links.map(async (entry) => {
      const link = join(entry.parentPath, entry.name);
      return { link, target: await realpath(link) };
    }),
  );
}

async function runNode(
  dir: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      cwd: dir,
      env: bareEnv,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function untilListening(port: number): () => Promise<boolean> {
  return () =>
    new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => {
        resolve(false);
      });
    });
}

describe.each(apps)('image of %s', (app: App) => {
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(join(root, 'apps', app, 'dist', 'bin.js'))) {
      throw new Error(
        `apps/${app}/dist/bin.js is missing: run \`pnpm exec turbo run build --filter=@aigw/${app}...\` first`,
      );
    }
    dir = join(harness.tempDir(`image-${app}`), 'out');
    // What the Dockerfile's build stage runs (after install and build).
    await run('pnpm', ['--filter', `@aigw/${app}`, '--prod', 'deploy', '--legacy', dir], {
      cwd: root,
      timeout: deployTimeoutMs,
    });
    // The Dockerfile removes the one link the legacy deploy leaves pointing back at apps/<app>.
    await rm(join(dir, 'node_modules', '.pnpm', 'node_modules', '@aigw', app), { force: true });
  }, deployTimeoutMs + 10_000);

  it('deploys a self-contained folder: dist and production dependencies only', async () => {
    expect((await readdir(dir)).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    expect(existsSync(join(dir, 'dist', 'bin.js'))).toBe(true);
    const manifest = packageJson(join(root, 'apps', app));
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      expect(existsSync(join(dir, 'node_modules', name, 'package.json')), name).toBe(true);
    }
    for (const name of Object.keys(manifest.devDependencies ?? {})) {
      if (!(name in (manifest.dependencies ?? {}))) {
        expect(existsSync(join(dir, 'node_modules', name)), `devDependency ${name}`).toBe(false);
      }
    }
    // Workspace packages are copied in with their published files (dist), not linked back.
    const escaping = (await symlinks(dir)).filter(({ target }) =>
      relative(dir, target).startsWith('..'),
    );
    expect(escaping).toEqual([]);
  });

  it('starts with plain node from that folder', async () => {
    if (app === 'aigw') {
      const help = await runNode(dir, ['dist/bin.js', '--help']);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/Usage: aigw/);
      return;
    }
    // Flag parsing runs before anything listens: a bad flag is a clean exit 2 naming the app.
    const bad = await runNode(dir, ['dist/bin.js', '--no-such-flag']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`aigw-${app}: invalid configuration`));
  });

  it('loads its whole module graph and every runtime dependency from the folder', async () => {
    const deps = Object.keys(packageJson(join(root, 'apps', app)).dependencies ?? {}).filter(
      (name) => !name.startsWith('@types/'),
    );
    const script = [
      "await import('./dist/main.js');",
      `for (const name of ${JSON.stringify(deps)}) await import(name);`,
      "console.log('loaded');",
    ].join('\n');
    const loaded = await runNode(dir, ['--input-type=module', '-e', script]);
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout.trim()).toBe('loaded');
  });

  it.runIf(app === 'ratelimit')(
    'serves from the folder (ratelimit: memory store, no config)',
    async () => {
      const port = await getFreePort();
      const proc: ManagedProcess = await spawnManaged(
        process.execPath,
        ['dist/bin.js', `--address=127.0.0.1:${String(port)}`],
        { name: 'deployed-ratelimit', cwd: dir, env: { NODE_PATH: '' } },
      );
      await proc.untilReady(untilListening(port), {
        timeoutMs: 30_000,
        description: 'the deployed ratelimit to listen',
      });
      await proc.stop();
      expect(proc.exitStatus()).toEqual({ code: 0, signal: null });
    },
  );

  it('has a Dockerfile that deploys this app onto a non-root distroless Node 24', () => {
    const file = join(root, 'deploy', 'images', `${app}.Dockerfile`);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(
      `pnpm --filter @aigw/${app} --prod deploy --legacy /out \\\n  && rm -f /out/node_modules/.pnpm/node_modules/@aigw/${app}\n`,
    );
    expect(text).toContain('ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot');
    expect(text).toContain('USER 65532:65532');
    expect(text).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/dist/bin.js"]');
    const pnpm = packageJson(root).packageManager?.replace(/^pnpm@/, '');
    expect(text).toContain(`ARG PNPM_VERSION=${pnpm ?? '?'}`);
    expect(existsSync(`${file}.dockerignore`)).toBe(true);
  });
});
