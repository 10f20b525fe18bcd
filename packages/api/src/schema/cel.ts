import { parse, type ParseResult } from '@marcbachmann/cel-js';
import type { Rule } from './dsl.js';
import { jsonType } from './messages.js';

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
 * text the API server prints after `Invalid value: `: the rule's message, or for an evaluation
 * error (such as a missing key) `"object": no such key: kind evaluating rule: <message>`.
 */
export function checkRule(rule: Rule, self: unknown): string | undefined {
  let result: unknown;
  try {
    result = program(rule.rule)({ self });
  } catch (err) {
    const first = err instanceof Error ? (err.message.split('\n')[0] ?? '') : 'error';
    // cel-go's messages start in lower case ("no such key: kind"); cel-js capitalises them.
    const reason = first.charAt(0).toLowerCase() + first.slice(1);
    return `"${jsonType(self)}": ${reason} evaluating rule: ${rule.message}`;
  }
  return result === true ? undefined : rule.message;
}
