import { describe, expect, it } from 'vitest';
import { prefixedPath, queryOf } from './path.js';

describe('prefixedPath', () => {
  it.each([
    ['v1', '/v1/x'],
    ['/v1', '/v1/x'],
    ['v1/', '/v1/x'],
    ['/a/b/', '/a/b/x'],
    ['', '/x'],
    ['///', '/x'],
  ])('prefix "%s" gives %s', (prefix, expected) => {
    expect(prefixedPath(prefix, '/x')).toBe(expected);
  });
});

describe('queryOf', () => {
  it.each([
    ['/a?b=c', '?b=c'],
    ['/a?', '?'],
    ['/a', ''],
  ])('%s → "%s"', (path, expected) => {
    expect(queryOf(path)).toBe(expected);
  });
});
