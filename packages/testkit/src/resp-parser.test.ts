import { describe, expect, it } from 'vitest';

import { isTestkitError } from './errors.js';
import { encodeCommand, parseResp } from './resp-parser.js';

describe('parseResp', () => {
  it.each([
    ['+OK\r\n', 'OK'],
    [':42\r\n', 42],
    ['$5\r\nhello\r\n', 'hello'],
    ['$0\r\n\r\n', ''],
    ['$-1\r\n', null],
    ['*-1\r\n', null],
    ['*2\r\n$1\r\na\r\n:1\r\n', ['a', 1]],
    ['*1\r\n*1\r\n+x\r\n', [['x']]],
  ])('decodes %j', (wire, expected) => {
    expect(parseResp(Buffer.from(wire))?.value).toEqual(expected);
  });

  it('decodes multi-byte bulk strings by byte length', () => {
    const wire = Buffer.concat([Buffer.from('$4\r\n'), Buffer.from('h€'), Buffer.from('\r\n')]);
    expect(parseResp(wire)).toEqual({ value: 'h€', end: wire.length });
  });

  it.each(['+OK', '$5\r\nhel', '*2\r\n:1\r\n', ''])('waits for more bytes on %j', (wire) => {
    expect(parseResp(Buffer.from(wire))).toBeUndefined();
  });

  it('returns error replies as redis-error values', () => {
    const value = parseResp(Buffer.from('-ERR wrong type\r\n'))?.value;
    expect(isTestkitError(value) && value.code).toBe('redis-error');
    expect(value).toHaveProperty('message', 'Redis error: ERR wrong type');
  });

  it('rejects bytes that are not RESP', () => {
    expect(() => parseResp(Buffer.from('hello\r\n'))).toThrow(/not a RESP reply/);
  });

  it('reports where the reply ends so pipelined replies can follow', () => {
    expect(parseResp(Buffer.from('+A\r\n+B\r\n'))?.end).toBe(4);
    expect(parseResp(Buffer.from('+A\r\n+B\r\n'), 4)?.value).toBe('B');
  });
});

describe('encodeCommand', () => {
  it('encodes arguments as an array of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', 1]).toString()).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n',
    );
  });
});
