import { parse, type ParseResult } from '@marcbachmann/cel-js';
import type { Rule } from './dsl.js';

const compiled = new Map<string, ParseResult>();

function program(rule: string): ParseResult {
  let p = compiled.get(rule);
  if (!p) {
    p = parse(rule);
    compiled.set(rule, p);
  }
  return p;
}

/**
 * Evaluates a Kubernetes `x-kubernetes-validations` rule against `self` with cel-js.
 *
 * Every rule upstream's CRDs use (`has()`, `size()`, `.all()`, `.exists()`, `.exists_one()`,
 * ternaries, `!=`, `==`, `duration()`) is standard CEL that cel-js evaluates as is, so no
 * Kubernetes-specific function is registered. Returns `undefined` when the rule holds, else the
 * error text the API server would print after `Invalid value: "<type>": `.
 */
export function checkRule(rule: Rule, self: unknown): string | undefined {
  let result: unknown;
  try {
    result = program(rule.rule)({ self });
  } catch (err) {
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : 'error';
    return `${reason} evaluating rule: ${rule.rule}`;
  }
  return result === true ? undefined : rule.message;
}
