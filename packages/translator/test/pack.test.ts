/**
 * The published package, as a user gets it: `pnpm pack` the translator, install the tarball into an
 * empty project with plain `npm install`, then (a) import it from plain Node and translate, (b)
 * type-check a TypeScript consumer under `node16` and `bundler` resolution, (c) bundle it with
 * esbuild for `platform: 'neutral'` and translate inside a `node:vm` context that has no `require`,
 * no `process` and no Node built-ins. Packs `dist/` as built (scripts/test.sh builds before the
 * tests); builds it first only when it is missing.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(packageDir, '..', '..');
const require = createRequire(import.meta.url);
const slow = { timeout: 180_000 };

/** Runs a command to completion; its output is returned, and shown whole when it fails. */
function run(command: string, args: readonly string[], cwd: string): string {
  const env = { ...process.env };
  // Nothing of vitest's (loaders, conditions) may leak into the consumer's processes.
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  try {
    return execFileSync(command, args, {
      cwd,
      env,
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 170_000,
    });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`,
      {
        cause: err,
      },
    );
  }
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** Every file an `exports` value points at. */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(exportTargets);
}

/** The `ts` code blocks of the README's "Examples" section. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Examples\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/**
 * What an example says it prints: the comment lines right after each `console.log(…);` (or the
 * comment trailing it); a comment spread over several lines continues the same output line.
 */
function expectedOutput(code: string): string {
  const lines = code.split('\n');
  const at = (n: number): string => lines[n] ?? '';
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!at(i).includes('console.log(')) continue;
    while (i < lines.length && !/;\s*(\/\/.*)?$/.test(at(i))) i++;
    const trailing = /;\s*\/\/ (.*)$/.exec(at(i));
    const comments = trailing === null ? [] : [trailing[1] ?? ''];
    while (trailing === null && /^\s*\/\//.test(at(i + 1))) {
      i++;
      comments.push(at(i).replace(/^\s*\/\/\s*/, ''));
    }
    out.push(comments.join(''));
  }
  return out.join('\n');
}

let scratch: string | undefined;
let packed: string; // the unpacked tarball (its `package/` folder)
let consumer: string; // the scratch project the tarball is installed into

beforeAll(() => {
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    run('pnpm', ['run', 'build'], packageDir);
  }
  const dir = mkdtempSync(join(tmpdir(), 'aigw-translator-pack-'));
  scratch = dir;
  run('pnpm', ['pack', '--pack-destination', dir], packageDir);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`pnpm pack wrote no tarball into ${dir}`);
  const tarballPath = join(dir, tarball);
  mkdirSync(join(dir, 'unpacked'));
  run('tar', ['-xzf', tarballPath, '-C', join(dir, 'unpacked')], dir);
  packed = join(dir, 'unpacked', 'package');

  consumer = join(dir, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, type: 'module' }),
  );
  run('npm', ['install', tarballPath, '--no-audit', '--no-fund', '--prefer-offline'], consumer);
  readmeExamples().forEach((code, i) => {
    writeFileSync(join(consumer, `readme-${i}.ts`), code);
  });
}, 300_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('@aigw/translator tarball', () => {
  it('publishes exports without the workspace-only "@aigw/source" condition, all shipped', () => {
    const manifest = JSON.parse(readFileSync(join(packed, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(JSON.stringify(manifest.exports)).not.toContain('@aigw/source');
    const targets = exportTargets(manifest.exports);
    expect(targets).toContain('./dist/index.js');
    expect(targets).toContain('./dist/testing/index.d.ts');
    for (const target of targets) {
      expect(existsSync(join(packed, target)), `${target} is in the tarball`).toBe(true);
    }
  });

  it('ships no tests or fixtures, no stale build output, and source maps whose sources are shipped', () => {
    const shipped = files(packed);
    expect(shipped.filter((f) => /\.test\.|testdata\//.test(f))).toEqual([]);
    expect(shipped).toContain('README.md');
    expect(shipped).toContain('LICENSE');
    const sources = new Set(shipped.filter((f) => f.startsWith('src/')));
    // Every built module comes from a shipped source: nothing left over from a deleted file.
    const built = shipped.filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
    expect(
      built.filter((f) => !sources.has(f.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'))),
    ).toEqual([]);
    for (const map of shipped.filter((f) => f.endsWith('.map'))) {
      const { sources: mapped } = JSON.parse(readFileSync(join(packed, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of mapped) {
        const file = relative(packed, join(packed, dirname(map), source))
          .split('\\')
          .join('/');
        expect(sources.has(file), `${map} → ${source}`).toBe(true);
      }
    }
  });

  it('lists every other workspace package as ignored in .changeset/config.json', () => {
    const config = JSON.parse(
      readFileSync(join(repoRoot, '.changeset', 'config.json'), 'utf8'),
    ) as {
      ignore: string[];
    };
    const workspace = readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8');
    const patterns = [...workspace.matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((m) => m[1] ?? '');
    const dirs = patterns.flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(repoRoot, pattern.slice(0, -2))).map((d) =>
            join(pattern.slice(0, -2), d),
          )
        : [pattern],
    );
    const manifests = dirs
      .map((d) => join(repoRoot, d, 'package.json'))
      .filter((f) => existsSync(f))
      .map((f) => JSON.parse(readFileSync(f, 'utf8')) as { name: string; private?: boolean });
    expect(manifests.filter((m) => m.private !== true).map((m) => m.name)).toEqual([
      '@aigw/translator',
    ]);
    const privateNames = manifests.filter((m) => m.private === true).map((m) => m.name);
    expect([...config.ignore].sort()).toEqual(privateNames.sort());
  });
});

describe('@aigw/translator installed with npm', () => {
  it('imports from plain Node and translates a request and a response', slow, () => {
    writeFileSync(
      join(consumer, 'run.mjs'),
      `
import { createTranslator, parseRequest, MalformedResponseError, toClientError } from '@aigw/translator';
import { conformanceCases } from '@aigw/translator/testing';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const translator = createTranslator({ endpoint: 'chat-completions', schema: { name: 'AWSBedrock' } });
const request = parseRequest('chat-completions', encoder.encode(JSON.stringify({
  model: 'anthropic.claude-3-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }],
})));
const upstream = translator.request({ request, path: '/v1/chat/completions' });
translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
let error;
try { translator.responseBody(encoder.encode('not json'), true); } catch (err) { error = err; }
console.log(JSON.stringify({
  path: upstream.path,
  body: JSON.parse(decoder.decode(upstream.body)),
  errorIsTyped: error instanceof MalformedResponseError,
  client: toClientError(error),
  cases: conformanceCases.length > 0,
}));
`,
    );
    const out = JSON.parse(run(process.execPath, ['run.mjs'], consumer)) as Record<string, unknown>;
    expect(out).toEqual({
      path: '/model/anthropic.claude-3-haiku/converse',
      body: {
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        inferenceConfig: { maxTokens: 10 },
      },
      errorIsTyped: true,
      client: {
        status: 502,
        message: 'the provider returned a response the gateway could not read',
      },
      cases: true,
    });
  });

  it('runs every README example and prints what the README says', slow, () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(4);
    examples.forEach((code, i) => {
      // Node runs the TypeScript examples as they are (type stripping).
      const printed = run(process.execPath, [`readme-${i}.ts`], consumer);
      expect(printed.trimEnd(), `README example ${i + 1}`).toBe(expectedOutput(code));
    });
  });

  it.each([
    { moduleResolution: 'node16', module: 'node16' },
    { moduleResolution: 'bundler', module: 'esnext' },
  ])(
    'type-checks a TypeScript consumer under moduleResolution $moduleResolution',
    slow,
    (options) => {
      const dir = join(consumer, `ts-${options.moduleResolution}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'index.ts'),
        `
import {
  createTranslator,
  isTranslatorError,
  MalformedResponseError,
  parseRequest,
  toClientError,
  type ClientError,
  type Translator,
  type TranslatorErrorCode,
  type Usage,
} from '@aigw/translator';
import type { ConformanceCase } from '@aigw/translator/testing';
// @ts-expect-error -- only the exports map's entry points are public
import type { JsonObject } from '@aigw/translator/dist/shared/json.js';

const translator: Translator = createTranslator({
  endpoint: 'messages',
  schema: { name: 'Anthropic' },
});
const request = parseRequest('messages', new TextEncoder().encode('{"model":"m","max_tokens":1,"messages":[]}'));
const out = translator.request({ request, path: '/v1/messages' });
const model: string = out.model;
const code: TranslatorErrorCode = new MalformedResponseError('x').code;
const client: ClientError | undefined = toClientError(new Error('x'));
const status: 400 | 422 | 502 | undefined = client?.status;
const usage: Usage | undefined = translator.responseBody(new Uint8Array(0), true).usage;
const isTyped: boolean = isTranslatorError(code);
const cases: readonly ConformanceCase[] = [];
// @ts-expect-error -- the schema name is a closed union
createTranslator({ endpoint: 'messages', schema: { name: 'NotAProvider' } });
export { model, status, usage, isTyped, cases };
export type { JsonObject };
`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'ES2022',
            lib: ['ES2023', 'DOM'],
            types: [],
            strict: true,
            exactOptionalPropertyTypes: true,
            noEmit: true,
            skipLibCheck: false,
            verbatimModuleSyntax: true,
          },
          files: ['index.ts', ...readmeExamples().map((_, i) => `../readme-${i}.ts`)],
        }),
      );
      const tsc = require.resolve('typescript/bin/tsc');
      run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], dir);
    },
  );

  it(
    'bundles for platform "neutral" and translates in a context without Node built-ins',
    slow,
    async () => {
      const result = await build({
        stdin: {
          contents: "export * from '@aigw/translator';",
          resolveDir: consumer,
          loader: 'js',
        },
        bundle: true,
        platform: 'neutral',
        format: 'iife',
        globalName: 'aigwTranslator',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(
        inputs.filter(
          (input) => input.startsWith('node:') || !input.includes('node_modules/@aigw/translator/'),
        ),
      ).toEqual(['<stdin>']);
      const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
      expect(imports).toEqual([]);
      const code = result.outputFiles[0]?.text ?? '';
      expect(code).not.toMatch(/["']node:/);

      // Only web-standard globals: what a browser, a worker or an edge runtime has.
      const context = vm.createContext({
        TextEncoder,
        TextDecoder,
        atob,
        btoa,
        structuredClone,
        crypto,
      });
      vm.runInContext(code, context, { filename: 'translator.bundle.js' });
      const output = vm.runInContext(
        `(() => {
        const t = aigwTranslator;
        const encoder = new TextEncoder();
        const translator = t.createTranslator({ endpoint: 'chat-completions', schema: { name: 'Anthropic' } });
        const request = t.parseRequest('chat-completions', encoder.encode(JSON.stringify({
          model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }],
        })));
        const upstream = translator.request({ request, path: '/v1/chat/completions' });
        translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
        const response = translator.responseBody(encoder.encode(JSON.stringify({
          id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'Hello' }], stop_reason: 'end_turn',
          usage: { input_tokens: 3, output_tokens: 1 },
        })), true);
        const body = JSON.parse(new TextDecoder().decode(response.body));
        return JSON.stringify({
          hasRequire: typeof require !== 'undefined',
          hasProcess: typeof process !== 'undefined',
          path: upstream.path,
          content: body.choices[0].message.content,
          finish: body.choices[0].finish_reason,
          inputTokens: response.usage.inputTokens,
        });
      })()`,
        context,
      ) as string;
      expect(JSON.parse(output)).toEqual({
        hasRequire: false,
        hasProcess: false,
        path: '/v1/messages',
        content: 'Hello',
        finish: 'stop',
        inputTokens: 3,
      });
    },
  );
});
