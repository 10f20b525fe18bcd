import { describe, expect, it } from 'vitest';
import { checkRule } from './cel.js';

const rule = (r: string): { rule: string; message: string } => ({ rule: r, message: 'broken' });

describe('checkRule (Kubernetes CEL subset on cel-js)', () => {
  it.each([
    ["self.all(m, m.kind == 'Gateway')", [{ kind: 'Gateway' }], true],
    ["self.all(m, m.kind == 'Gateway')", [{ kind: 'Service' }], false],
    ['self.all(i, self.exists_one(j, j.name == i.name))', [{ name: 'a' }, { name: 'a' }], false],
    ['!has(self.a) || size(self.a) == 1', { a: [1] }, true],
    ['has(self.a) != has(self.b)', { a: 1, b: 2 }, false],
    ["duration(self.a) > duration('1m')", { a: '90s' }, true],
    [
      "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true",
      { group: '', kind: 'Service' },
      false,
    ],
  ])('%s on %j is %s', (expr, self, holds) => {
    expect(checkRule(rule(expr), self) === undefined).toBe(holds);
  });

  it('returns the message when the rule is false', () => {
    expect(checkRule(rule('self > 1'), 0)).toBe('broken');
  });

  it('reports evaluation errors with the rule message, as the API server does', () => {
    expect(checkRule(rule('self.missing == 1'), {})).toBe(
      '"object": no such key: missing evaluating rule: broken',
    );
  });
});
