import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { compileRules, type NamedRulesFile } from './compile-rules.js';
import { RulesError, formatPath } from './rules-error.js';
import type { RuleSet } from './rule-set.js';
import { RulesFileSchema } from './schema.js';

/**
 * Parses and validates one config file's text. YAML errors (including duplicate mapping keys) and
 * schema errors become a {@link RulesError} naming `file` and the offending path.
 */
export function parseRulesFile(file: string, text: string): NamedRulesFile {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new RulesError({
      code: 'yaml',
      file,
      issues: doc.errors.map((err) => ({ path: '', message: err.message })),
    });
  }
  const result = RulesFileSchema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (!result.success) {
    throw new RulesError({
      code: 'schema',
      file,
      issues: result.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`
            : issue.message,
      })),
    });
  }
  return { file, rules: result.data };
}

/** True for files the loader reads: `*.yaml` / `*.yml`, not dotfiles (Kubernetes `..data`). */
export function isRulesFileName(name: string): boolean {
  return !name.startsWith('.') && (name.endsWith('.yaml') || name.endsWith('.yml'));
}

/** Config file names of a directory, sorted so loading order (and errors) are deterministic. */
export async function listRulesFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const files: string[] = [];
  for (const name of names.filter(isRulesFileName).sort()) {
    // Follow symlinks (ConfigMap volumes link `x.yaml -> ..data/x.yaml`); skip directories.
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) files.push(name);
  }
  return files;
}

/** Reads, validates and compiles every config file of a directory into one {@link RuleSet}. */
export async function loadRulesDir(dir: string): Promise<RuleSet> {
  let names: string[];
  try {
    names = await listRulesFiles(dir);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RulesError({ code: 'io', file: dir, issues: [{ path: '', message }], cause: err });
  }
  const parsed: NamedRulesFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new RulesError({ code: 'io', file: name, issues: [{ path: '', message }], cause: err });
    }
    parsed.push(parseRulesFile(name, text));
  }
  return compileRules(parsed);
}
