import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isConfigBundleError,
  toConfigBundle,
  type ConfigBundle,
  type FilterConfigInput,
} from '@aigw/filterapi';
import { removeTempDir, tempDir } from '@aigw/testkit';
import { bundleFiles, ProjectedVolume } from '../test/support/projected-volume.js';
import {
  configPathSignature,
  isBundleInTransition,
  readConfigBundleDir,
  readFilterConfigPath,
} from './config-bundle-dir.js';

const gateway = { gatewayNamespace: 'ns', gatewayName: 'gw' };

/** A config of `rules` routes, as JSON (what the controller writes). */
function configText(uuid: string, rules = 20): string {
  const config: FilterConfigInput = {
    version: 'v1',
    uuid,
    routes: {
      rules: Array.from({ length: rules }, (_, i) => ({
        models: [`model-${String(i)}`],
        cluster: `cluster-${uuid}-${String(i)}`,
      })),
    },
  };
  return JSON.stringify(config);
}

/** A bundle of several small parts, so generations can be mixed part by part. */
const bundleOf = (uuid: string): ConfigBundle =>
  toConfigBundle(configText(uuid), { ...gateway, maxPartBytes: 256, maxParts: 64, uuid });

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('readConfigBundleDir', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDir('bundle-dir');
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  /** Writes `files` into a plain directory (no kubelet links). */
  function writePlain(files: Readonly<Record<string, string | Uint8Array>>): string {
    const root = join(dir, 'plain');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    return root;
  }

  it('puts a plain directory back together (index.yaml, parts/NNN)', async () => {
    const bundle = bundleOf('gen-1');
    expect(bundle.parts.length).toBeGreaterThan(2);
    const read = await readConfigBundleDir(writePlain(bundleFiles(bundle)));
    expect(read.text).toBe(configText('gen-1'));
    expect(read.index.uuid).toBe('gen-1');
  });

  it("reads a projected volume through the kubelet's ..data link, and the new generation after a swap", async () => {
    const volume = new ProjectedVolume(join(dir, 'volume'));
    volume.write(bundleFiles(bundleOf('gen-1')));
    const first = await readConfigBundleDir(volume.dir);
    expect(first.text).toBe(configText('gen-1'));
    expect(first.root).toMatch(/\.\.0001_generation$/);
    volume.write(bundleFiles(bundleOf('gen-2')));
    expect((await readConfigBundleDir(volume.dir)).text).toBe(configText('gen-2'));
  });

  it("takes upstream's part path when the index has none", async () => {
    const bundle = bundleOf('gen-1');
    const index = bundle.indexText.replace(/^ {4}path: .*\n/gm, '');
    expect(index).not.toContain('path:');
    const read = await readConfigBundleDir(
      writePlain({ ...bundleFiles(bundle), 'index.yaml': index }),
    );
    expect(read.text).toBe(configText('gen-1'));
  });

  it.each([
    {
      state: 'a new index with the old parts',
      files: (old: ConfigBundle, next: ConfigBundle) => ({
        ...bundleFiles(old),
        'index.yaml': next.indexText,
      }),
    },
    {
      state: 'the old index with one new part',
      files: (old: ConfigBundle, next: ConfigBundle) => ({
        ...bundleFiles(old),
        'parts/001': next.parts[1]?.data ?? '',
      }),
    },
    {
      state: 'a part missing',
      files: (old: ConfigBundle) => {
        const files = bundleFiles(old);
        delete files['parts/002'];
        return files;
      },
    },
  ])(
    'refuses $state (a kubelet update in progress) as a transition, never a partial text',
    async ({ files }) => {
      const old = bundleOf('gen-1');
      const next = toConfigBundle(configText('gen-2', 21), {
        ...gateway,
        maxPartBytes: 256,
        maxParts: 64,
      });
      const err = await errorOf(readConfigBundleDir(writePlain(files(old, next))));
      expect(isConfigBundleError(err)).toBe(true);
      expect(isBundleInTransition(err)).toBe(true);
    },
  );

  it('reports a directory without an index as missing_index, naming the directory', async () => {
    const root = writePlain({ 'filter-config.yaml': configText('legacy') });
    const err = await errorOf(readConfigBundleDir(root));
    expect(isConfigBundleError(err) && err.code).toBe('missing_index');
    expect(String(err)).toContain(root);
    expect(isBundleInTransition(err)).toBe(false);
  });

  it.each(['../outside', '/etc/passwd', 'parts/../../outside'])(
    'refuses a part path that leaves the directory (%s)',
    async (path) => {
      const bundle = bundleOf('gen-1');
      const index = bundle.indexText.replace('path: parts/000', `path: ${path}`);
      const err = await errorOf(
        readConfigBundleDir(writePlain({ ...bundleFiles(bundle), 'index.yaml': index })),
      );
      expect(isConfigBundleError(err) && err.code).toBe('invalid_index');
    },
  );
});

describe('readFilterConfigPath', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDir('config-path');
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  it('reads a single file and a bundle directory alike', async () => {
    const file = join(dir, 'filter-config.yaml');
    writeFileSync(file, configText('from-file'));
    expect((await readFilterConfigPath(file)).uuid).toBe('from-file');
    const volume = new ProjectedVolume(join(dir, 'volume'));
    volume.write(bundleFiles(bundleOf('from-dir')));
    const config = await readFilterConfigPath(volume.dir);
    expect(config.uuid).toBe('from-dir');
    expect(config.routes?.rules).toHaveLength(20);
  });

  it('throws the file-system error for a missing path', async () => {
    await expect(readFilterConfigPath(join(dir, 'nope'))).rejects.toThrow(/ENOENT/);
  });
});

describe('configPathSignature', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDir('signature');
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  it('is stable while nothing changes and changes with every ..data swap', async () => {
    const volume = new ProjectedVolume(join(dir, 'volume'));
    volume.write(bundleFiles(bundleOf('gen-1')));
    const first = await configPathSignature(volume.dir);
    expect(await configPathSignature(volume.dir)).toBe(first);
    // The same content again: a new generation directory, new inodes.
    volume.write(bundleFiles(bundleOf('gen-1')));
    expect(await configPathSignature(volume.dir)).not.toBe(first);
  });

  it('changes when a part listed by the index is rewritten in place', async () => {
    const bundle = bundleOf('gen-1');
    const root = join(dir, 'plain');
    mkdirSync(join(root, 'parts'), { recursive: true });
    for (const [path, content] of Object.entries(bundleFiles(bundle))) {
      writeFileSync(join(root, path), content);
    }
    const before = await configPathSignature(root);
    writeFileSync(join(root, 'parts/001'), 'x'.repeat(10));
    expect(await configPathSignature(root)).not.toBe(before);
  });

  it('is `missing` for a path that does not exist', async () => {
    expect(await configPathSignature(join(dir, 'nope'))).toBe('missing');
  });
});
