import { ResourceError } from './errors.js';

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Where the text came from, for the error message. */
export interface SubstituteEnvOptions {
  /** The file the text was read from; named in the error (default `<input>`). */
  readonly file?: string;
}

/**
 * Replaces every `${NAME}` in `text` with `env[NAME]` (names as in POSIX shells: letters, digits
 * and `_`, not starting with a digit). Nothing else is special: `$NAME` without braces and `$$`
 * stay as written. Pure: the caller passes the environment.
 *
 * @throws ResourceError listing every referenced variable that is unset, one line each, with the
 *   file and line: `quickstart.yaml:12: ${OPENAI_API_KEY}: environment variable is not set`.
 */
export function substituteEnv(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  options: SubstituteEnvOptions = {},
): string {
  const file = options.file ?? '<input>';
  const problems: string[] = [];
  const out = text.replace(reference, (match: string, name: string, offset: number) => {
    const value = env[name];
    if (value !== undefined) return value;
    const line = text.slice(0, offset).split('\n').length;
    problems.push(`${file}:${String(line)}: ${match}: environment variable is not set`);
    return match;
  });
  if (problems.length > 0) throw new ResourceError(problems);
  return out;
}
