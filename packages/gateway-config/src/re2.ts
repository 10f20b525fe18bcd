/**
 * A check of regular expressions against what RE2 (Envoy's `safe_regex` engine) refuses. RE2
 * guarantees linear time, so it has no lookaround, backreferences, atomic groups, possessive
 * quantifiers or conditionals; Envoy rejects a configuration containing them, which `aigw run`
 * would otherwise only learn from Envoy's `update_rejected` counter. This is a scanner for those
 * constructs, not a full RE2 parser: a pattern it passes may still be refused by Envoy (which
 * aigw then reports).
 */

/** Constructs after `(?`, longest first. */
const groupConstructs: readonly (readonly [string, string])[] = [
  ['<=', 'lookbehind'],
  ['<!', 'negative lookbehind'],
  ['=', 'lookahead'],
  ['!', 'negative lookahead'],
  ['>', 'an atomic group'],
  ['(', 'a conditional'],
];

function escapeProblem(next: string, after: string): string | undefined {
  if (/[1-9]/.test(next)) return `a backreference (\\${next})`;
  if (next === 'k' && /[<'{]/.test(after)) return 'a named backreference (\\k)';
  if (next === 'Z' || next === 'G') return `\\${next}`;
  return undefined;
}

function groupProblem(pattern: string, at: number): string | undefined {
  if (!pattern.startsWith('(?', at)) return undefined;
  const rest = pattern.slice(at + 2);
  return groupConstructs.find(([prefix]) => rest.startsWith(prefix))?.[1];
}

/** The index of the `]` that closes the class opened at `at` (a `]` first in it is literal). */
function classEnd(pattern: string, at: number): number {
  let i = at + 1;
  if (pattern.charAt(i) === '^') i += 1;
  if (pattern.charAt(i) === ']') i += 1;
  for (; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (char === '\\') i += 1;
    else if (char === ']') return i;
  }
  return pattern.length;
}

function quantifierProblem(pattern: string, at: number): string | undefined {
  return /[*+?}]/.test(pattern.charAt(at)) && pattern.charAt(at + 1) === '+'
    ? 'a possessive quantifier'
    : undefined;
}

/** What RE2 would refuse in `pattern` (a description), or undefined. */
export function re2Problem(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    let problem: string | undefined;
    if (char === '\\') {
      problem = escapeProblem(pattern.charAt(i + 1), pattern.charAt(i + 2));
      i += 1;
    } else if (char === '[') {
      i = classEnd(pattern, i);
    } else {
      problem = groupProblem(pattern, i) ?? quantifierProblem(pattern, i);
    }
    if (problem !== undefined) return problem;
  }
  return undefined;
}

type Json = unknown;

/**
 * Every `{type: RegularExpression, value}` in `value` (header, path and query matches of our
 * CRDs and of Envoy Gateway policies) whose pattern RE2 refuses, as `<field path>: <message>`.
 */
export function regexProblems(value: Json, path = ''): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => regexProblems(item, `${path}[${String(i)}]`));
  }
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, Json>;
  const out: string[] = [];
  if (record.type === 'RegularExpression' && typeof record.value === 'string') {
    const problem = re2Problem(record.value);
    if (problem !== undefined) {
      out.push(
        `${path}.value: regular expression ${JSON.stringify(record.value)} uses ${problem}, which RE2 (Envoy's regex engine) does not support`,
      );
    }
  }
  for (const [key, child] of Object.entries(record)) {
    out.push(...regexProblems(child, path === '' ? key : `${path}.${key}`));
  }
  return out;
}
