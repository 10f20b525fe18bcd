import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustomToolInput, customToolInputOf } from './custom-tool-input.js';

const patch = '*** Begin Patch\n*** Add File: a "q".txt\n+tab\there \\ é 😀\n*** End Patch\n';

/** Feeds `args` split at every `step` characters; returns the deltas and the result. */
function fed(args: string, step: number): { deltas: string[]; input: string; rest: string } {
  const reader = new CustomToolInput();
  const deltas: string[] = [];
  for (let i = 0; i < args.length; i += step) deltas.push(reader.feed(args.slice(i, i + step)));
  const { input, rest } = reader.finish();
  return { deltas, input, rest };
}

describe('custom tool input from chat function-call arguments', () => {
  it.each([
    ['only input', JSON.stringify({ input: patch }), patch],
    ['input after other members', `{"a":[1,{"b":"}]"}],"c":true, "input" : "x\\u00e9"}`, 'xé'],
    ['input before other members', '{"input":"y","more":{"z":1}}', 'y'],
    ['an escaped surrogate pair', '{"input":"\\ud83d\\ude00!"}', '😀!'],
    ['cut short (length stop)', '{"input":"*** Begin Pa', '*** Begin Pa'],
    ['empty input', '{"input":""}', ''],
  ])('reads the input string: %s', (_, args, expected) => {
    expect(customToolInputOf(args)).toBe(expected);
  });

  it.each([
    ['another shape', '{"query":"find cats"}'],
    ['a non-string input', '{"input":5}'],
    ['an empty object', '{}'],
    ['not JSON', '*** Begin Patch'],
    ['no arguments', ''],
  ])('falls back to the raw arguments for %s', (_, args) => {
    expect(customToolInputOf(args)).toBe(args);
  });

  it('returns the same input, as a prefix-exact series of deltas, at every fragment size', () => {
    const args = JSON.stringify({ input: patch }).replace('😀', '\\ud83d\\ude00');
    for (let step = 1; step <= args.length; step++) {
      const { deltas, input, rest } = fed(args, step);
      expect(input).toBe(patch);
      expect(deltas.join('') + rest).toBe(patch);
      // No delta ends in half a surrogate pair.
      for (const delta of deltas) expect(/[\uD800-\uDBFF]$/.test(delta)).toBe(false);
    }
  });

  it('streams the input as it arrives, before the arguments are complete', () => {
    const reader = new CustomToolInput();
    expect(reader.feed('{"inp')).toBe('');
    expect(reader.feed('ut": "*** Be')).toBe('*** Be');
    expect(reader.feed('gin\\')).toBe('gin');
    expect(reader.feed('n"}')).toBe('\n');
    expect(reader.finish()).toEqual({ input: '*** Begin\n', rest: '' });
  });

  it('returns nothing from feed when the shape is wrong, and the raw text as the rest', () => {
    const { deltas, input, rest } = fed('{"query":"cats"}', 3);
    expect(deltas.join('')).toBe('');
    expect(input).toBe('{"query":"cats"}');
    expect(rest).toBe(input);
  });

  it('decodes any input string, however the arguments are encoded and split (property)', () => {
    // Every non-ASCII code unit as a \u escape, as some providers send it.
    const asciiOnly = (json: string): string =>
      json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.boolean(),
        fc.integer({ min: 1, max: 9 }),
        (input, isEscaped, step) => {
          const json = JSON.stringify({ before: [input, { x: '}' }], input, after: 1 });
          const args = isEscaped ? asciiOnly(json) : json;
          const result = fed(args, step);
          expect(result.input).toBe(input);
          expect(result.deltas.join('') + result.rest).toBe(input);
        },
      ),
    );
  });
});
