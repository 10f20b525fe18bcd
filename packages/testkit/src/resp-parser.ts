import { TestkitError } from './errors.js';

/**
 * A decoded RESP2 reply: simple and bulk strings as `string`, integers as `number`, nil as
 * `null`, arrays as arrays, and error replies nested in arrays (e.g. from `EXEC`) as
 * {@link TestkitError} values with code `redis-error`.
 */
export type RespValue = string | number | null | TestkitError | RespValue[];

/** One decoded reply and the offset just past it. */
export interface RespParsed {
  readonly value: RespValue;
  readonly end: number;
}

const crlf = '\r\n';

/**
 * Decodes the RESP2 reply starting at `offset` of `buf`; `undefined` when the buffer does not yet
 * hold the whole reply.
 *
 * @throws TestkitError `redis-error` on bytes that are not RESP.
 */
export function parseResp(buf: Buffer, offset = 0): RespParsed | undefined {
  const lineEnd = buf.indexOf(crlf, offset);
  if (lineEnd === -1) {
    return undefined;
  }
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + crlf.length;
  switch (String.fromCharCode(buf[offset] ?? 0)) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new TestkitError('redis-error', `Redis error: ${line}`), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$':
      return parseBulk(buf, { length: Number(line), start: next });
    case '*':
      return parseArray(buf, { count: Number(line), start: next });
    default:
      throw new TestkitError(
        'redis-error',
        `not a RESP reply: ${JSON.stringify(buf.toString('utf8', offset, next))}`,
      );
  }
}

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${String(args.length)}${crlf}`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${String(bytes.length)}${crlf}`), bytes, Buffer.from(crlf));
  }
  return Buffer.concat(parts);
}

function parseBulk(buf: Buffer, at: { length: number; start: number }): RespParsed | undefined {
  if (at.length < 0) {
    return { value: null, end: at.start };
  }
  const end = at.start + at.length + crlf.length;
  if (buf.length < end) {
    return undefined;
  }
  return { value: buf.toString('utf8', at.start, at.start + at.length), end };
}

function parseArray(buf: Buffer, at: { count: number; start: number }): RespParsed | undefined {
  if (at.count < 0) {
    return { value: null, end: at.start };
  }
  const items: RespValue[] = [];
  let cursor = at.start;
  for (let i = 0; i < at.count; i++) {
    const item = parseResp(buf, cursor);
    if (item === undefined) {
      return undefined;
    }
    items.push(item.value);
    cursor = item.end;
  }
  return { value: items, end: cursor };
}
