// Post-generation step of `pnpm --filter @aigw/proto generate` (after `buf generate`): ts-proto's
// grpc-js output imports `makeGenericClientConstructor` from @grpc/grpc-js at module load, so any
// process that decodes an ext_proc or RLS message loaded grpc-js (about 11 MiB of RSS) even when
// it serves on node:http2. This rewrites that one runtime import to ../lazy-grpc-js.ts, which loads
// grpc-js only when a client class is first used; the rest becomes an `import type`. The
// service definitions (plain objects) are unchanged. Idempotent.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const gen = join(src, 'gen');

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

let rewritten = 0;
for (const file of files(gen)) {
  const text = readFileSync(file, 'utf8');
  const block = /import \{([^}]*)\} from "@grpc\/grpc-js";\n/.exec(text);
  const imported = block?.[1];
  if (block === null || imported === undefined || !/\bmakeGenericClientConstructor,/.test(imported)) {
    continue;
  }
  // Every remaining name is a type: `import type` (a plain import of types only would still load
  // the module under verbatimModuleSyntax).
  const names = imported
    .replace(/\n {2}makeGenericClientConstructor,/, '')
    .replaceAll(/\n {2}type /g, '\n  ');
  let lazy = relative(dirname(file), join(src, 'lazy-grpc-js.js'));
  if (!lazy.startsWith('.')) lazy = `./${lazy}`;
  const replacement =
    `import type {${names}} from "@grpc/grpc-js";\n` +
    `import { makeGenericClientConstructor } from "${lazy}";\n`;
  writeFileSync(file, text.replace(block[0], replacement));
  rewritten += 1;
}
console.log(`lazy-grpc-clients: ${String(rewritten)} generated files load grpc-js on first client use`);
