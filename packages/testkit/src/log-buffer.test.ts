import { describe, expect, it } from 'vitest';

import { LogBuffer, tailLines } from './log-buffer.js';

describe('LogBuffer', () => {
  it('keeps everything below the limit', () => {
    const buffer = new LogBuffer(100);
    buffer.append('one\n');
    buffer.append('two\n');
    expect(buffer.text()).toBe('one\ntwo\n');
  });

  it('keeps only the most recent characters and marks the drop', () => {
    const buffer = new LogBuffer(10);
    buffer.append('0123456789');
    buffer.append('abcde');
    expect(buffer.text()).toBe('[… 5 earlier characters dropped]\n56789abcde');
  });

  it('returns the last lines with tail()', () => {
    const buffer = new LogBuffer();
    buffer.append('a\nb\nc\nd\n');
    expect(buffer.tail(2)).toBe('c\nd');
  });
});

describe('tailLines', () => {
  it.each([
    ['a\nb\nc', 5, 'a\nb\nc'],
    ['a\nb\nc\n', 1, 'c'],
    ['', 3, ''],
  ])('tailLines(%j, %i) is %j', (text, count, expected) => {
    expect(tailLines(text, count)).toBe(expected);
  });
});
