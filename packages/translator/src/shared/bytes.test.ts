import { describe, expect, it } from 'vitest';
import { concatBytes, truncatedText } from './bytes.js';

const encoder = new TextEncoder();

describe('truncatedText', () => {
  it.each([
    { text: 'hello', max: 10, expected: 'hello', isTruncated: false },
    { text: 'hello', max: 5, expected: 'hello', isTruncated: false },
    { text: 'hello', max: 3, expected: 'hel', isTruncated: true },
    { text: 'a👋b', max: 2, expected: 'a', isTruncated: true },
    { text: 'a👋b', max: 4, expected: 'a', isTruncated: true },
    { text: 'a👋b', max: 5, expected: 'a👋', isTruncated: true },
  ])('cuts "$text" at $max bytes to "$expected"', ({ text, max, expected, isTruncated }) => {
    expect(truncatedText(encoder.encode(text), max)).toEqual({ text: expected, isTruncated });
  });
});

describe('concatBytes', () => {
  it('returns a lone part as is and joins several', () => {
    const a = Uint8Array.of(1, 2);
    expect(concatBytes([a])).toBe(a);
    expect(concatBytes([a, Uint8Array.of(), Uint8Array.of(3)])).toEqual(Uint8Array.of(1, 2, 3));
  });
});
