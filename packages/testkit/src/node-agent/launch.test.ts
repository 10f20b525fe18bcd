import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { removeTempDir, tempDir } from '../temp-dir.js';
import { writeAtomicDir } from './atomic-dir.js';
import { defaultImageRules, programFor } from './images.js';
import { expandVars, rewritePaths } from './launch.js';

describe('expandVars', () => {
  it.each([
    ['$(A)-$(B)', 'a-b'],
    ['$(MISSING) stays', '$(MISSING) stays'],
    ['$$(A) is escaped', '$(A) is escaped'],
    ['plain $A', 'plain $A'],
  ])('%s → %s', (input, output) => {
    expect(expandVars(input, { A: 'a', B: 'b' })).toBe(output);
  });
});

describe('rewritePaths', () => {
  const mounts = [
    ['/etc/config/nested', '/tmp/n'],
    ['/etc/config', '/tmp/c'],
  ] as const;
  it.each([
    ['/etc/config', '/tmp/c'],
    ['/etc/config/file.yaml', '/tmp/c/file.yaml'],
    ['--config=/etc/config/x', '--config=/tmp/c/x'],
    ['/etc/config/nested/y', '/tmp/n/y'],
    ['a:/etc/config,b', 'a:/tmp/c,b'],
    ['/etc/configuration', '/etc/configuration'],
    ['/var/etc/config', '/var/etc/config'],
    ["fs.readFileSync('/etc/config/x')", "fs.readFileSync('/tmp/c/x')"],
  ])('%s → %s', (input, output) => {
    expect(rewritePaths(input, mounts)).toBe(output);
  });
});

describe('programFor', () => {
  it.each([
    ['ghcr.io/example/aigw-extproc:v1', 'extproc'],
    ['aigw-extension-server:latest', 'extension-server'],
    ['aigw:latest', 'aigw'],
  ])('maps %s to apps/%s/dist/bin.js', (image, app) => {
    const program = programFor(image, defaultImageRules());
    expect(program?.entrypoint[1]).toMatch(new RegExp(`apps/${app}/dist/bin\\.js$`));
  });

  it('knows no program for an unknown image', () => {
    expect(programFor('busybox:1', defaultImageRules())).toBeUndefined();
  });
});

describe('writeAtomicDir', () => {
  const dir = tempDir('atomic');
  afterAll(() => removeTempDir(dir));

  it('writes through a ..data symlink, swaps it on change and removes what is gone', async () => {
    const first = await writeAtomicDir(
      dir,
      new Map([
        ['a', { data: Buffer.from('1') }],
        ['sub/b', { data: Buffer.from('2') }],
      ]),
    );
    expect(first.isWritten).toBe(true);
    expect(await readFile(join(dir, 'sub', 'b'), 'utf8')).toBe('2');
    expect((await lstat(join(dir, 'a'))).isSymbolicLink()).toBe(true);
    const firstTarget = await readlink(join(dir, '..data'));

    const same = await writeAtomicDir(
      dir,
      new Map([
        ['a', { data: Buffer.from('1') }],
        ['sub/b', { data: Buffer.from('2') }],
      ]),
      first.digest,
    );
    expect(same.isWritten).toBe(false);

    await writeAtomicDir(dir, new Map([['a', { data: Buffer.from('3') }]]), first.digest);
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('3');
    expect(await readlink(join(dir, '..data'))).not.toBe(firstTarget);
    expect((await readdir(dir)).sort()).toEqual(
      ['..data', await readlink(join(dir, '..data')), 'a'].sort(),
    );
  });
});
