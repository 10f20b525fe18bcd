import { describe, expect, it } from 'vitest';
import { LinePrefixer } from './line-prefixer.js';

function collect(): { out: string[]; prefixer: LinePrefixer } {
  const out: string[] = [];
  return { out, prefixer: new LinePrefixer('[envoy] ', (text) => out.push(text)) };
}

describe('LinePrefixer', () => {
  it('prefixes every complete line of a chunk', () => {
    const { out, prefixer } = collect();
    prefixer.push('one\ntwo\n');
    expect(out.join('')).toBe('[envoy] one\n[envoy] two\n');
  });

  it('holds a partial line until its newline arrives', () => {
    const { out, prefixer } = collect();
    prefixer.push('hel');
    expect(out).toEqual([]);
    prefixer.push('lo\nwor');
    prefixer.push('ld\n');
    expect(out.join('')).toBe('[envoy] hello\n[envoy] world\n');
  });

  it('writes a final line without newline on flush, once', () => {
    const { out, prefixer } = collect();
    prefixer.push('last words');
    prefixer.flush();
    prefixer.flush();
    expect(out.join('')).toBe('[envoy] last words\n');
  });

  it('keeps empty lines and drops carriage returns', () => {
    const { out, prefixer } = collect();
    prefixer.push('a\r\n\nb\n');
    expect(out.join('')).toBe('[envoy] a\n[envoy] \n[envoy] b\n');
  });

  it('splits a multi-byte character only at line boundaries (strings, not bytes)', () => {
    const { out, prefixer } = collect();
    prefixer.push('wörld 🌍');
    prefixer.push('\n');
    expect(out.join('')).toBe('[envoy] wörld 🌍\n');
  });
});
