/** One problem found in a rate-limit config file, located by a YAML path. */
export interface RulesIssue {
  /** Where in the file: `descriptors[0].rate_limit.unit`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** What kind of problem made a config file unusable. */
export type RulesErrorCode = 'io' | 'yaml' | 'schema' | 'duplicate_domain' | 'duplicate_descriptor';

/**
 * A config file that cannot be loaded. The message names the file and the path of the first
 * issues (`limits.yaml: descriptors[1].rate_limit.unit: invalid unit "fortnight"`), so an operator
 * can fix it without reading code; the last good config stays in force meanwhile.
 */
export class RulesError extends Error {
  override readonly name = 'RulesError';
  readonly code: RulesErrorCode;
  readonly file: string;
  readonly issues: readonly RulesIssue[];

  constructor(options: {
    code: RulesErrorCode;
    file: string;
    issues: readonly RulesIssue[];
    cause?: unknown;
  }) {
    const shown = options.issues
      .slice(0, 5)
      .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
    const more = options.issues.length > 5 ? ` (+${options.issues.length - 5} more)` : '';
    super(`${options.file}: ${shown.join('; ')}${more}`, { cause: options.cause });
    this.code = options.code;
    this.file = options.file;
    this.issues = options.issues;
  }
}

/** Structural guard: true for a {@link RulesError}, even across package copies. */
export function isRulesError(err: unknown): err is RulesError {
  return err instanceof Error && err.name === 'RulesError' && 'issues' in err && 'file' in err;
}
