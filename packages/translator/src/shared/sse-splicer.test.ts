import { describe, expect, it } from 'vitest';
import { SseSplicer } from './sse-splicer.js';
import type { SseFrame } from './sse.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function frame(start: number, end: number): SseFrame {
  return { event: undefined, data: undefined, start, end };
}

describe('SseSplicer', () => {
  it('forwards a chunk untouched when nothing is held or dropped', () => {
    const splicer = new SseSplicer();
    const chunk = encoder.encode('data: a\n\n');
    expect(splicer.splice({ chunk, chunkStart: 0, drop: [], safeEnd: 9 })).toBeUndefined();
  });

  it('removes dropped ranges and holds the unfinished tail until it is decided', () => {
    const splicer = new SseSplicer();
    const first = encoder.encode('data: a\n\ndata: u\n\ndata: b');
    const out1 = splicer.splice({ chunk: first, chunkStart: 0, drop: [frame(9, 18)], safeEnd: 18 });
    expect(decoder.decode(out1)).toBe('data: a\n\n');
    first.fill(0); // the held tail must be a copy
    const second = encoder.encode('\n\n');
    const out2 = splicer.splice({ chunk: second, chunkStart: 25, drop: [], safeEnd: 27 });
    expect(decoder.decode(out2)).toBe('data: b\n\n');
    const third = encoder.encode('data: c\n\n');
    expect(splicer.splice({ chunk: third, chunkStart: 27, drop: [], safeEnd: 36 })).toBeUndefined();
  });

  it('drops a frame that spans several held chunks and returns an empty replacement', () => {
    const splicer = new SseSplicer();
    const parts = ['da', 'ta: ', 'u\n', '\n'].map((p) => encoder.encode(p));
    const outs = [
      splicer.splice({ chunk: parts[0]!, chunkStart: 0, drop: [], safeEnd: 0 }),
      splicer.splice({ chunk: parts[1]!, chunkStart: 2, drop: [], safeEnd: 0 }),
      splicer.splice({ chunk: parts[2]!, chunkStart: 6, drop: [], safeEnd: 0 }),
      splicer.splice({ chunk: parts[3]!, chunkStart: 8, drop: [frame(0, 9)], safeEnd: 9 }),
    ];
    expect(outs.map((o) => o?.length)).toEqual([0, 0, 0, 0]);
  });
});
