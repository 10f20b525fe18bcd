import { describe, expect, it } from 'vitest';

import { isResourceError } from './errors.js';
import { substituteEnv } from './substitute-env.js';

describe('substituteEnv', () => {
  it.each([
    { text: 'apiKey: ${KEY}', env: { KEY: 'sk-1' }, out: 'apiKey: sk-1' },
    { text: 'a: ${A}-${B}', env: { A: 'x', B: '' }, out: 'a: x-' },
    { text: 'literal: $${KEY}', env: {}, out: 'literal: ${KEY}' },
    { text: 'plain: $KEY and $ and ${1X}', env: { KEY: 'no' }, out: 'plain: $KEY and $ and ${1X}' },
    {
      text: '  # uses ${UNSET} in a comment\nk: v',
      env: {},
      out: '  # uses ${UNSET} in a comment\nk: v',
    },
  ])('$text → $out', ({ text, env, out }) => {
    expect(substituteEnv(text, env)).toBe(out);
  });

  it('names every unset variable with the file and line', () => {
    let error: unknown;
    try {
      substituteEnv('a: ${ONE}\nb: ok\nc: ${TWO} ${ONE}', { OK: 'x' }, { file: 'quickstart.yaml' });
    } catch (err) {
      error = err;
    }
    expect(isResourceError(error)).toBe(true);
    expect((error as Error).message.split('\n')).toEqual([
      'quickstart.yaml:1: ${ONE}: environment variable is not set',
      'quickstart.yaml:3: ${TWO}: environment variable is not set',
      'quickstart.yaml:3: ${ONE}: environment variable is not set',
    ]);
  });
});
