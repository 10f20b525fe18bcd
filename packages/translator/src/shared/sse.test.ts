import { describe, expect, it } from 'vitest';
import { SseParser, type SseFrame } from './sse.js';

const encoder = new TextEncoder();

/** Feeds `chunks` and returns every frame, including the one `end()` flushes. */
function parse(chunks: readonly (string | Uint8Array)[]): SseFrame[] {
  const parser = new SseParser();
  const frames: SseFrame[] = [];
  for (const chunk of chunks) {
    frames.push(...parser.feed(typeof chunk === 'string' ? encoder.encode(chunk) : chunk));
  }
  const last = parser.end();
  return last === undefined ? frames : [...frames, last];
}

/** Every way of cutting `data` into two chunks, plus byte by byte. */
function splits(text: string): { name: string; chunks: Uint8Array[] }[] {
  const data = encoder.encode(text);
  const out = [{ name: 'whole', chunks: [data] }];
  for (let i = 1; i < data.length; i++) {
    out.push({ name: `split at ${i}`, chunks: [data.slice(0, i), data.slice(i)] });
  }
  out.push({ name: 'byte by byte', chunks: Array.from(data, (b) => Uint8Array.of(b)) });
  return out;
}

describe('SseParser', () => {
  it('reports data, event and byte range of each frame', () => {
    const text = 'data: {"a":1}\n\nevent: ping\ndata: x\n\n';
    expect(parse([text])).toEqual([
      { event: undefined, data: '{"a":1}', start: 0, end: 15 },
      { event: 'ping', data: 'x', start: 15, end: text.length },
    ]);
  });

  it('joins multiple data lines with a newline', () => {
    expect(parse(['data: one\ndata:two\ndata\ndata:  three\n\n'])).toEqual([
      { event: undefined, data: 'one\ntwo\n\n three', start: 0, end: 38 },
    ]);
  });

  it('reports comment-only frames without data and ignores unknown fields', () => {
    expect(
      parse([': keep-alive\n\nid: 7\nretry: 10\nda\ndatax: y\neventful\ndata: x\n\n']),
    ).toEqual([
      { event: undefined, data: undefined, start: 0, end: 14 },
      { event: undefined, data: 'x', start: 14, end: 60 },
    ]);
  });

  it('does not count extra blank lines as part of a frame', () => {
    expect(parse(['\n\ndata: a\n\n\n\ndata: b\n\n'])).toEqual([
      { event: undefined, data: 'a', start: 2, end: 11 },
      { event: undefined, data: 'b', start: 13, end: 22 },
    ]);
  });

  it.each([
    { name: 'LF', eol: '\n' },
    { name: 'CRLF', eol: '\r\n' },
    { name: 'CR', eol: '\r' },
  ])('finds the same frames at every chunk boundary with $name line endings', ({ eol }) => {
    const text = ['data: {"t":"Hé 👋 日本"}', '', ': c', 'event: e', 'data: [DONE]', '', ''].join(
      eol,
    );
    const [expected, ...rest] = splits(text).map(({ chunks }) => parse(chunks));
    expect(expected?.map((f) => f.data)).toEqual(['{"t":"Hé 👋 日本"}', '[DONE]']);
    for (const frames of rest) {
      expect(frames).toEqual(expected);
    }
  });

  it('decodes a multibyte character split across chunks', () => {
    const data = encoder.encode('data: 👋\n\n');
    expect(parse([data.slice(0, 8), data.slice(8)])).toEqual([
      { event: undefined, data: '👋', start: 0, end: data.length },
    ]);
  });

  it('treats CRLF split across chunks as one line ending', () => {
    expect(parse(['data: a\r', '\n\r', '\ndata: b\r\n\r\n'])).toEqual([
      { event: undefined, data: 'a', start: 0, end: 11 },
      { event: undefined, data: 'b', start: 11, end: 22 },
    ]);
  });

  it('tracks where the unfinished frame starts', () => {
    const parser = new SseParser();
    parser.feed(encoder.encode('data: a\n\n'));
    expect(parser.frameStart).toBeUndefined();
    parser.feed(encoder.encode('\ndata: b\n'));
    expect(parser.frameStart).toBe(10);
    expect(parser.offset).toBe(18);
    parser.feed(encoder.encode('\r'));
    expect(parser.frameStart).toBe(10);
  });

  it('flushes an unfinished frame at the end of the stream', () => {
    expect(parse(['data: a\n\ndata: b'])).toEqual([
      { event: undefined, data: 'a', start: 0, end: 9 },
      { event: undefined, data: 'b', start: 9, end: 16 },
    ]);
    expect(parse(['data: a\n\r'])).toEqual([{ event: undefined, data: 'a', start: 0, end: 9 }]);
    expect(parse(['data: a\n\n'])).toHaveLength(1);
  });

  it('ignores empty chunks, also between a CR and its LF', () => {
    expect(parse(['', 'data: a\r', '', '\n\r\n', ''])).toEqual([
      { event: undefined, data: 'a', start: 0, end: 11 },
    ]);
  });

  it('does not keep references to the chunks it was fed', () => {
    const parser = new SseParser();
    const chunk = encoder.encode('data: ab');
    parser.feed(chunk);
    chunk.fill(0x7a);
    expect(parser.feed(encoder.encode('c\n\n'))).toEqual([
      { event: undefined, data: 'abc', start: 0, end: 11 },
    ]);
  });

  it('parses a long stream in one chunk in linear time', () => {
    const frame = `data: ${JSON.stringify({ choices: [{ delta: { content: 'x'.repeat(40) } }] })}\n\n`;
    const data = encoder.encode(frame.repeat(20_000));
    const started = performance.now();
    const frames = new SseParser().feed(data);
    expect(frames).toHaveLength(20_000);
    // Generous bound: a quadratic scan (re-searching for CR on every line) takes many seconds.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
