import { readFile } from 'node:fs/promises';
import {
  isResourceError,
  loadResources,
  manifestsToYaml,
  translateToKubernetes,
  type SourceFile,
} from '@aigw/gateway-config';
import { loadTranslateConfig } from '../config.js';
import type { Cli } from '../main.js';
import { usage } from './help.js';

/**
 * `aigw translate files…`: prints, as one YAML stream, the Kubernetes objects the controller
 * generates from the AIGateway resources in `files` (HTTPRoutes, HTTPRouteFilters, the extproc
 * config Secret), followed by the user's own objects. Problems go to stderr, one line each with
 * the file, the object and the field, and the exit code is 1; nothing is printed to stdout then.
 * Fields our CRDs do not know are dropped with a warning on stderr (as a non-strict API server).
 */
export async function translate(argv: readonly string[], cli: Cli): Promise<number> {
  const { config, positionals } = loadTranslateConfig(argv, cli.env);
  if (config.help) {
    cli.stdout.write(usage.translate);
    return 0;
  }
  if (positionals.length === 0) {
    cli.stderr.write(`aigw translate: no files given (try 'aigw translate --help')\n`);
    return 2;
  }
  const files: SourceFile[] = [];
  for (const path of positionals) {
    try {
      files.push({ path, text: await readFile(path, 'utf8') });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      cli.stderr.write(`aigw translate: cannot read ${path}: ${reason}\n`);
      return 1;
    }
  }
  let yaml: string;
  try {
    const resources = loadResources(files, { target: 'kubernetes' });
    cli.stderr.write(resources.warnings.map((w) => `aigw translate: warning: ${w}\n`).join(''));
    yaml = manifestsToYaml(translateToKubernetes(resources, { rootPrefix: config.rootPrefix }));
  } catch (err) {
    if (!isResourceError(err)) throw err;
    cli.stderr.write(err.problems.map((problem) => `aigw translate: ${problem}\n`).join(''));
    return 1;
  }
  cli.stdout.write(yaml);
  return 0;
}
