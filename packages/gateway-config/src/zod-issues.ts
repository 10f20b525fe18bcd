import { z } from 'zod';

/** `['spec', 'endpoints', 0, 'fqdn']` → `spec.endpoints[0].fqdn` (zod's own format); `[]` → `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return z.core.toDotPath(path) || '(root)';
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
