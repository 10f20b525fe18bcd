/**
 * The one golden-fixture runner for the translator's tests (test-only: not built, not shipped).
 *
 * Fixtures live in `src/testdata/<ingress>-<backend>/` as `<case>.in.*` / `<case>.out.*` files. A
 * golden test computes what the translator produces for the input and compares it with the
 * expected file byte for byte. A missing expected file is a failure, never a silent write (unlike
 * vitest's `toMatchFileSnapshot`, which writes missing snapshots unless run with `--ci`). To write
 * new goldens or accept changed output, run the tests with `AIGW_UPDATE_GOLDEN=1` and review the
 * diff before committing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** The environment variable that switches the runner from comparing to (re)writing goldens. */
export const updateGoldenVariable = 'AIGW_UPDATE_GOLDEN';

/** Whether `env` asks for goldens to be (re)written: `AIGW_UPDATE_GOLDEN=1`. */
export function isUpdatingGoldens(
  env: Readonly<Record<string, string | undefined>> = process.env, // eslint-disable-line no-restricted-properties -- the opt-in switch is an env var by design
): boolean {
  return env[updateGoldenVariable] === '1';
}

/** The fixture folder `src/testdata/<name>/`, as a directory URL. */
export function testdataDir(name: string): URL {
  return new URL(`../src/testdata/${name}/`, import.meta.url);
}

/** Which fixture names {@link fixtureNames} returns. */
export interface FixtureFilter {
  /** Only files whose name starts with this. */
  readonly prefix?: string;
  /** Leave out names starting with any of these (e.g. `response-` among request cases). */
  readonly exclude?: readonly string[];
}

/** The case names in `dir` (file names without `suffix`), sorted. */
export function fixtureNames(dir: URL, suffix: string, filter: FixtureFilter = {}): string[] {
  const prefix = filter.prefix ?? '';
  const exclude = filter.exclude ?? [];
  return readdirSync(dir)
    .filter((file) => file.startsWith(prefix) && file.endsWith(suffix))
    .map((file) => file.slice(0, -suffix.length))
    .filter((name) => !exclude.some((start) => name.startsWith(start)))
    .sort();
}

/** A fixture file's text. */
export function readFixture(dir: URL, file: string): string {
  return readFileSync(new URL(file, dir), 'utf8');
}

/** A fixture file's bytes. */
export function readFixtureBytes(dir: URL, file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(file, dir)));
}

/** A JSON fixture, parsed; its shape is the caller's to assert. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the fixture's shape
export function readFixtureJson<T>(dir: URL, file: string): T {
  return JSON.parse(readFixture(dir, file)) as T;
}

/** The canonical text of a JSON golden: two-space indent, trailing newline. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Options of {@link expectGolden}. */
export interface GoldenOptions {
  /** Write the expected file instead of comparing; defaults to {@link isUpdatingGoldens}. */
  readonly update?: boolean;
}

/**
 * Asserts that `actual` equals the expected file `file` byte for byte. Fails when the file is
 * missing; with `update` (`AIGW_UPDATE_GOLDEN=1`), writes it instead when missing or different.
 */
export function expectGolden(
  actual: string | Uint8Array,
  file: URL,
  options: GoldenOptions = {},
): void {
  const path = fileURLToPath(file);
  const actualBytes = typeof actual === 'string' ? new TextEncoder().encode(actual) : actual;
  const exists = existsSync(file);
  if (options.update ?? isUpdatingGoldens()) {
    if (!exists || !equalBytes(new Uint8Array(readFileSync(file)), actualBytes)) {
      mkdirSync(new URL('.', file), { recursive: true });
      writeFileSync(file, actualBytes);
    }
    return;
  }
  if (!exists) {
    throw new Error(
      `golden file ${path} is missing; run the test with ${updateGoldenVariable}=1 to write it, then review and commit it`,
    );
  }
  const hint = `${path} (${updateGoldenVariable}=1 rewrites it)`;
  if (typeof actual === 'string') {
    expect(actual, hint).toBe(readFileSync(file, 'utf8'));
  } else {
    expect(actualBytes, hint).toEqual(new Uint8Array(readFileSync(file)));
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Input of {@link itMatchesGoldens}. */
export interface GoldenSuite extends FixtureFilter {
  /** The fixture folder ({@link testdataDir}). */
  readonly dir: URL;
  /** Suffix of the input files, e.g. `.in.json`. */
  readonly input: string;
  /** Suffix of the expected files, e.g. `.out.json`. */
  readonly output: string;
  /** Test title; `%s` is the case name. */
  readonly title?: string;
  /** Allow a folder with no such case (e.g. a pair without `response-` fixtures). */
  readonly allowNone?: boolean;
}

/**
 * One test per `<case><input>` file in `suite.dir`: `run(case)` must produce exactly the
 * `<case><output>` file (see {@link expectGolden}). Unless `allowNone`, fails when the folder holds
 * no such case, so a renamed folder or suffix cannot turn a suite into zero tests.
 */
export function itMatchesGoldens(
  suite: GoldenSuite,
  run: (name: string) => string | Uint8Array,
): void {
  const names = fixtureNames(suite.dir, suite.input, suite);
  if (names.length === 0 && suite.allowNone !== true) {
    it(`has ${suite.prefix ?? ''}*${suite.input} fixtures in ${fileURLToPath(suite.dir)}`, () => {
      expect(names).not.toEqual([]);
    });
    return;
  }
  if (names.length === 0) return;
  it.each(names)(suite.title ?? 'translates fixture %s', (name) => {
    expectGolden(run(name), new URL(`${name}${suite.output}`, suite.dir));
  });
}
