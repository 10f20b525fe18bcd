import { describe, expect, it } from 'vitest';

import { re2Problem, regexProblems } from './re2.js';

describe('re2Problem', () => {
  it.each([
    ['foo(?=bar)', 'lookahead'],
    ['foo(?!bar)', 'negative lookahead'],
    ['(?<=a)b', 'lookbehind'],
    ['(?<!a)b', 'negative lookbehind'],
    ['(a)\\1', 'a backreference (\\1)'],
    ['(?<x>a)\\k<x>', 'a named backreference (\\k)'],
    ['(?>ab)', 'an atomic group'],
    ['a*+', 'a possessive quantifier'],
    ['a{2}+', 'a possessive quantifier'],
    ['(?(1)a|b)', 'a conditional'],
    ['abc\\Z', '\\Z'],
  ])('refuses %s (%s)', (pattern, problem) => {
    expect(re2Problem(pattern)).toBe(problem);
  });

  it.each([
    'llama-.*',
    'gpt-4o(-mini)?',
    '(?i)claude-.*',
    '(?P<name>a)b',
    '(?<name>a)b',
    '(?:a|b)+',
    '[(?=]',
    '[]\\1]',
    '\\(\\?=',
    'a+?',
    '\\d{1,3}\\.\\d+',
    '\\pL+',
  ])('accepts %s', (pattern) => {
    expect(re2Problem(pattern)).toBeUndefined();
  });
});

describe('regexProblems', () => {
  it('finds RegularExpression values anywhere and names their path', () => {
    const spec = {
      rules: [
        {
          clientSelectors: [
            { headers: [{ name: 'x', type: 'RegularExpression', value: '(a)\\1' }] },
            { headers: [{ name: 'y', type: 'Exact', value: '(a)\\1' }] },
          ],
        },
      ],
    };
    expect(regexProblems(spec, 'spec')).toEqual([
      'spec.rules[0].clientSelectors[0].headers[0].value: regular expression "(a)\\\\1" uses a backreference (\\1), which RE2 (Envoy\'s regex engine) does not support',
    ]);
  });
});
