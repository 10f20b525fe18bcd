import type { z } from 'zod';

/** `['spec', 'endpoints', 0, 'fqdn']` → `spec.endpoints[0].fqdn`; `[]` → `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${String(segment)}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment))
      out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '(root)' : out;
}

/** One zod issue as `<field path>: <message>`; unknown keys are listed by name. */
export function formatZodIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown field`).join('; ');
  }
  if (issue.code === 'invalid_value') {
    return `${formatPath(issue.path)}: expected one of ${issue.values.map(String).join('|')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${formatPath(issue.path)}: Required value`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}
