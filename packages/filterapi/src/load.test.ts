import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isFilterConfigError } from './errors.js';
import { readFilterConfigFile } from './load.js';

describe('readFilterConfigFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'filterapi-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and parses a file', async () => {
    const path = join(dir, 'good.yaml');
    await writeFile(path, 'version: v1\nuuid: abc\n');
    const config = await readFilterConfigFile(path);
    expect(config.uuid).toBe('abc');
  });

  it('names the file in validation errors', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'version: v1\nbackends: [{ name: b }]\n');
    const err: unknown = await readFilterConfigFile(path).catch((e: unknown) => e);
    expect(isFilterConfigError(err) && err.source).toBe(path);
    expect((err as Error).message).toBe(`filter config ${path}: backends[0].schema: required`);
  });

  it('passes file-system errors through unchanged', async () => {
    await expect(readFilterConfigFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
