import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  addsBackends,
  clusterNames,
  createStateDir,
  removeStaleStateDirs,
  StateWriter,
  statePaths,
  withBackendsOf,
  xdsOrder,
  type GeneratedState,
} from './state.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-state-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const cluster = (name: string): { '@type': string; name: string } => ({ '@type': 'Cluster', name });

function state(overrides: Partial<GeneratedState> = {}): GeneratedState {
  return {
    bootstrap: { admin: {} },
    xds: {
      'xds/lds.yaml': { resources: [{ name: 'listener' }] },
      'xds/cds.yaml': { resources: [cluster('openai'), cluster('anthropic')] },
      'xds/rds.yaml': { resources: [{ name: 'routes' }] },
    },
    filterConfig: { version: 'v1' },
    files: { 'credentials/openai/apiKey': 'sk-1' },
    rateLimitRules: { domain: 'llm' },
    ...overrides,
  };
}

describe('xdsOrder', () => {
  it.each([
    ['xds/cds.yaml', 0],
    ['xds/clusters.yaml', 0],
    ['xds/rds.yaml', 1],
    ['xds/routes.json', 1],
    ['xds/lds.yaml', 2],
    ['listeners.yaml', 2],
    ['xds/other.yaml', 3],
  ])('%s comes in position %i', (path, order) => {
    expect(xdsOrder(path)).toBe(order);
  });
});

describe('addsBackends', () => {
  it('is true only for a backend name the previous config lacks', () => {
    const a = { backends: [{ name: 'a' }] };
    const ab = { backends: [{ name: 'a' }, { name: 'b' }] };
    expect(addsBackends(ab, a)).toBe(true);
    expect(addsBackends(a, ab)).toBe(false);
    expect(addsBackends(a, undefined)).toBe(true);
    expect(addsBackends({}, a)).toBe(false);
  });
});

describe('withBackendsOf', () => {
  it('adds the backends the new config dropped, keeping the new definitions', () => {
    const previous = {
      version: 'v1',
      backends: [
        { name: 'a', x: 1 },
        { name: 'b', x: 1 },
      ],
    };
    const next = {
      version: 'v1',
      backends: [
        { name: 'b', x: 2 },
        { name: 'c', x: 2 },
      ],
    };
    expect(withBackendsOf(next, previous)).toEqual({
      version: 'v1',
      backends: [
        { name: 'b', x: 2 },
        { name: 'c', x: 2 },
        { name: 'a', x: 1 },
      ],
    });
    expect(withBackendsOf(previous, previous)).toBe(previous);
  });
});

describe('clusterNames', () => {
  it('reads resources[].name and ignores resources without one', () => {
    expect(clusterNames({ resources: [cluster('a'), {}, cluster('b')] })).toEqual(['a', 'b']);
    expect(clusterNames({ resources: [] })).toEqual([]);
  });
});

describe('StateWriter', () => {
  it('writes credentials, then clusters, routes, listeners, the rules, and the filter config last', async () => {
    const paths = statePaths(tempDir());
    const writer = new StateWriter(paths);
    const written = await writer.apply(state());
    expect(written.map((p) => p.slice(paths.dir.length + 1))).toEqual([
      'credentials/openai/apiKey',
      'xds/cds.yaml',
      'xds/rds.yaml',
      'xds/lds.yaml',
      'ratelimit/rules.yaml',
      'filter-config.yaml',
    ]);
    expect(parse(readFileSync(join(paths.dir, 'xds/cds.yaml'), 'utf8'))).toEqual({
      resources: [cluster('openai'), cluster('anthropic')],
    });
    expect(readFileSync(join(paths.dir, 'credentials/openai/apiKey'), 'utf8')).toBe('sk-1');
  });

  it('writes the bootstrap with writeAll', async () => {
    const paths = statePaths(tempDir());
    await new StateWriter(paths).writeAll(state());
    expect(parse(readFileSync(paths.bootstrap, 'utf8'))).toEqual({ admin: {} });
  });

  it('rewrites only what changed; with new routes, the extproc first gets both generations of backends', async () => {
    const paths = statePaths(tempDir());
    const writer = new StateWriter(paths);
    await writer.apply(state({ filterConfig: { version: 'v1', backends: [{ name: 'a' }] } }));
    const events: string[] = [];
    const filterBackends = (): string =>
      (parse(readFileSync(paths.filterConfig, 'utf8')) as { backends: { name: string }[] }).backends
        .map((b) => b.name)
        .join('+');
    const next = state({
      xds: { ...state().xds, 'xds/cds.yaml': { resources: [cluster('openai'), cluster('new')] } },
      filterConfig: { version: 'v1', backends: [{ name: 'b' }] },
    });
    const written = await writer.apply(next, {
      filterConfigLoaded: (uuid) => {
        events.push(`filter config ${uuid.length > 0 ? 'with uuid' : ''}`);
        return Promise.resolve();
      },
      afterClusters: (names) => {
        events.push(`clusters ${names.join(',')} while the extproc has ${filterBackends()}`);
        return Promise.resolve();
      },
    });
    expect(written.map((p) => p.slice(paths.dir.length + 1))).toEqual([
      'filter-config.yaml',
      'xds/cds.yaml',
      'filter-config.yaml',
    ]);
    expect(events).toEqual([
      'filter config with uuid',
      'clusters openai,new while the extproc has b+a',
      'filter config with uuid',
    ]);
    expect(filterBackends()).toBe('b');
  });

  it('needs no bridge when the new routes only drop a backend', async () => {
    const paths = statePaths(tempDir());
    const writer = new StateWriter(paths);
    await writer.apply(
      state({ filterConfig: { version: 'v1', backends: [{ name: 'a' }, { name: 'b' }] } }),
    );
    const written = await writer.apply(
      state({
        xds: { ...state().xds, 'xds/cds.yaml': { resources: [cluster('openai')] } },
        filterConfig: { version: 'v1', backends: [{ name: 'a' }] },
      }),
    );
    expect(written.map((p) => p.slice(paths.dir.length + 1))).toEqual([
      'xds/cds.yaml',
      'filter-config.yaml',
    ]);
  });

  it('writes the filter config once, without a bridge, when only it changed', async () => {
    const paths = statePaths(tempDir());
    const writer = new StateWriter(paths);
    await writer.apply(state());
    const uuids: string[] = [];
    const written = await writer.apply(state({ filterConfig: { version: 'v1', models: [] } }), {
      filterConfigLoaded: (uuid) => {
        uuids.push(uuid);
        return Promise.resolve();
      },
    });
    expect(written.map((p) => p.slice(paths.dir.length + 1))).toEqual(['filter-config.yaml']);
    expect(uuids).toHaveLength(1);
    expect(readFileSync(paths.filterConfig, 'utf8')).toContain(`uuid: ${uuids[0]!}`);
    expect(await writer.apply(state({ filterConfig: { version: 'v1', models: [] } }))).toEqual([]);
  });

  it('does not wait for clusters when the cluster file did not change', async () => {
    const paths = statePaths(tempDir());
    const writer = new StateWriter(paths);
    await writer.apply(state());
    let waited = false;
    await writer.apply(state({ filterConfig: { version: 'v1', uuid: '3' } }), {
      afterClusters: () => {
        waited = true;
        return Promise.resolve();
      },
    });
    expect(waited).toBe(false);
  });

  it('removes credential files and rules that are no longer generated', async () => {
    const paths = statePaths(tempDir());
    const writer = new StateWriter(paths);
    await writer.apply(state());
    await writer.apply(state({ files: {}, rateLimitRules: undefined }));
    expect(existsSync(join(paths.dir, 'credentials/openai/apiKey'))).toBe(false);
    expect(existsSync(paths.rulesFile)).toBe(false);
  });

  it("keeps a rotator's credential file while it is listed, and rewrites it when it turns static", async () => {
    const paths = statePaths(tempDir());
    const writer = new StateWriter(paths);
    const token = join(paths.dir, 'credentials/default.vertex.token');
    const staticToken = { files: { 'credentials/default.vertex.token': 'ya29.static' } };
    await writer.apply(state(staticToken));
    // The policy now exchanges a key: the rotator writes the same path, the writer keeps it.
    writeFileSync(token, 'ya29.rotated');
    await writer.apply(state({ files: {}, rotations: [{ path: token }] }));
    expect(readFileSync(token, 'utf8')).toBe('ya29.rotated');
    // Back to the same pre-minted token: written again, although the writer wrote it before.
    await writer.apply(state(staticToken));
    expect(readFileSync(token, 'utf8')).toBe('ya29.static');
    await writer.apply(state({ files: {}, rotations: [{ path: token }] }));
    await writer.apply(state({ files: {} }));
    expect(existsSync(token)).toBe(false);
  });
});

describe('state directories', () => {
  it('creates a private directory with the owner pid', async () => {
    const parent = tempDir();
    const paths = await createStateDir(parent);
    expect(readFileSync(join(paths.dir, 'aigw.pid'), 'utf8').trim()).toBe(String(process.pid));
    expect(paths.extprocSocket.startsWith(paths.dir)).toBe(true);
  });

  it('removes directories of dead aigw processes only', async () => {
    const parent = tempDir();
    const mine = await createStateDir(parent);
    const stale = join(parent, 'aigw-run-stale');
    mkdirSync(stale);
    // Pid 2^22 + 1 is above Linux's pid_max limit: never a live process.
    writeFileSync(join(stale, 'aigw.pid'), '4194305\n');
    const unrelated = join(parent, 'something-else');
    mkdirSync(unrelated);
    const removed = await removeStaleStateDirs(parent);
    expect(removed).toEqual([stale]);
    expect(existsSync(mine.dir)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
  });
});
