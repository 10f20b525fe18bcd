import { describe, expect, it } from 'vitest';

import { parseStrictJsonObject } from './strict-json.js';

describe('parseStrictJsonObject', () => {
  it.each([
    { text: '{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}', why: 'the same key in different objects' },
    { text: ' \n{"a":"x\\":\\"","b":"\\\\","c":"\\\\\\""}', why: 'escaped quotes and backslashes' },
    { text: '{"k":"{\\"k\\":1}","v":"[\\"k\\"]"}', why: 'braces and quotes inside strings' },
  ])('parses JSON with $why', ({ text }) => {
    expect(parseStrictJsonObject(text)).toEqual(JSON.parse(text));
  });

  it.each([
    { text: '{"a":1,"a":2}', why: 'a repeated key' },
    { text: '{"x":{"b":[1,{"c":1}],"b":2}}', why: 'a repeated key in a nested object' },
    { text: '{"a":1,"\\u0061":2}', why: 'a repeated key spelt with an escape' },
    { text: 'version: v1', why: 'YAML' },
    { text: '[1, 2]', why: 'an array' },
    { text: '{"a":1,}', why: 'invalid JSON' },
  ])('leaves $why to the YAML parser', ({ text }) => {
    expect(parseStrictJsonObject(text)).toBeUndefined();
  });
});
