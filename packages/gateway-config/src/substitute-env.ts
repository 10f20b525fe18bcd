import { ResourceError } from './errors.js';

// `$${NAME}` is an escaped reference; group 1 tells the two apart.
const reference = /(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const commentLine = /^\s*#/;

/** Where the text came from, for the error message. */
export interface SubstituteEnvOptions {
  /** The file the text was read from; named in the error (default `<input>`). */
  readonly file?: string;
}

/**
 * Replaces every `${NAME}` in `text` with `env[NAME]` (names as in POSIX shells: letters, digits
 * and `_`, not starting with a digit), so example files can keep keys out of the YAML. `$${NAME}`
 * stands for a literal `${NAME}`; full-line `#` comments are left alone; nothing else is special
 * (`$NAME` without braces stays as written). The value is inserted as is, so a value that is not
 * plain YAML text (a newline, `: `, a leading `*`) must be quoted in the file or be a block scalar.
 * Pure: the caller passes the environment.
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
  const lines = text.split('\n').map((line, i) => {
    if (commentLine.test(line)) return line;
    return line.replace(reference, (match: string, escape: string, name: string) => {
      if (escape !== '') return match.slice(1);
      const value = env[name];
      if (value !== undefined) return value;
      problems.push(`${file}:${String(i + 1)}: \${${name}}: environment variable is not set`);
      return match;
    });
  });
  if (problems.length > 0) throw new ResourceError(problems);
  return lines.join('\n');
}
