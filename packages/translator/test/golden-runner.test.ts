import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectGolden, fixtureNames, isUpdatingGoldens, prettyJson } from './golden.js';

describe('golden runner', () => {
  let dir: URL;

  beforeEach(() => {
    dir = pathToFileURL(`${mkdtempSync(join(tmpdir(), 'aigw-golden-'))}/`);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails when the expected file is missing, and does not write it', () => {
    const file = new URL('case.out.json', dir);
    expect(() => {
      expectGolden('{}\n', file, { update: false });
    }).toThrow(/golden file .*case\.out\.json is missing; run the test with AIGW_UPDATE_GOLDEN=1/);
    expect(existsSync(file)).toBe(false);
  });

  it('fails on a difference and leaves the expected file alone', () => {
    const file = new URL('case.out.json', dir);
    writeFileSync(file, prettyJson({ a: 1 }));
    expect(() => {
      expectGolden(prettyJson({ a: 2 }), file, { update: false });
    }).toThrow(/AIGW_UPDATE_GOLDEN=1 rewrites it/);
    expect(readFileSync(file, 'utf8')).toBe('{\n  "a": 1\n}\n');
  });

  it('passes on identical text and identical bytes', () => {
    writeFileSync(new URL('a.out.sse', dir), 'data: x\n\n');
    writeFileSync(new URL('a.bin', dir), new Uint8Array([0, 1, 255]));
    expectGolden('data: x\n\n', new URL('a.out.sse', dir), { update: false });
    expectGolden(new Uint8Array([0, 1, 255]), new URL('a.bin', dir), { update: false });
    expect(() => {
      expectGolden(new Uint8Array([0, 1, 254]), new URL('a.bin', dir), { update: false });
    }).toThrow();
  });

  it('writes missing and changed goldens only when asked to', () => {
    const missing = new URL('new.out.json', dir);
    const changed = new URL('old.out.json', dir);
    writeFileSync(changed, 'old\n');
    expectGolden('new\n', missing, { update: true });
    expectGolden('changed\n', changed, { update: true });
    expect(readFileSync(missing, 'utf8')).toBe('new\n');
    expect(readFileSync(changed, 'utf8')).toBe('changed\n');
  });

  it.each([
    [{ AIGW_UPDATE_GOLDEN: '1' }, true],
    [{ AIGW_UPDATE_GOLDEN: '0' }, false],
    [{ AIGW_UPDATE_GOLDEN: '' }, false],
    [{}, false],
    [{ CI: 'true' }, false],
  ])('reads the opt-in from %o as %s', (env, expected) => {
    expect(isUpdatingGoldens(env)).toBe(expected);
  });

  it('lists case names by suffix, prefix and exclusions, sorted', () => {
    for (const file of ['b.in.json', 'a.in.json', 'response-x.in.json', 'a.out.json', 'c.sse']) {
      writeFileSync(new URL(file, dir), '');
    }
    expect(fixtureNames(dir, '.in.json')).toEqual(['a', 'b', 'response-x']);
    expect(fixtureNames(dir, '.in.json', { exclude: ['response-'] })).toEqual(['a', 'b']);
    expect(fixtureNames(dir, '.in.json', { prefix: 'response-' })).toEqual(['response-x']);
  });
});
