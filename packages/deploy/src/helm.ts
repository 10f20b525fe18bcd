import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

import { DeployError } from './errors.js';
import { run, runOk, type RunResult } from './tools.js';

/** A rendered Kubernetes object. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [key: string]: unknown;
}

/** One object of `helm template` output and the template it came from. */
export interface RenderedObject {
  readonly source: string;
  readonly object: KubeObject;
}

/** Options of {@link helmTemplate}. */
export interface TemplateOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values, as a `-f` file. */
  readonly values?: Readonly<Record<string, unknown>>;
}

/** The release and namespace the Kustomize base and the docs use. */
export const defaultRelease = 'aigw';
export const defaultNamespace = 'aigw-system';

/** Runs `helm template` with `values` in a temporary file; the raw result (exit code and output). */
export async function helmTemplateRaw(
  helm: string,
  chart: string,
  options: TemplateOptions = {},
): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'aigw-helm-'));
  try {
    const valuesFile = join(dir, 'values.yaml');
    await writeFile(valuesFile, stringify(options.values ?? {}));
    return await run(helm, [
      'template',
      options.release ?? defaultRelease,
      chart,
      '--namespace',
      options.namespace ?? defaultNamespace,
      '-f',
      valuesFile,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `helm template` of `chart`, as objects with their template.
 *
 * @throws DeployError `tool-failed` with helm's message when it refuses the values.
 */
export async function helmTemplate(
  helm: string,
  chart: string,
  options: TemplateOptions = {},
): Promise<RenderedObject[]> {
  const result = await helmTemplateRaw(helm, chart, options);
  if (result.code !== 0) {
    throw new DeployError('tool-failed', `helm template ${chart}: ${result.stderr.trim()}`);
  }
  return parseRendered(result.stdout);
}

/** Splits `helm template` output into objects, each with the `# Source:` it follows. */
export function parseRendered(text: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    let object: KubeObject | null;
    try {
      object = parse(chunk) as KubeObject | null;
    } catch (err) {
      throw new DeployError(
        'invalid-output',
        `helm printed invalid YAML: ${String(err)}\n${chunk}`,
        {
          cause: err,
        },
      );
    }
    if (object === null) continue;
    const source = /^# Source: (.+)$/m.exec(chunk)?.[1]?.trim() ?? '';
    out.push({ source, object });
  }
  return out;
}

/** `helm lint --strict` of `chart`; throws with helm's report when it fails. */
export async function helmLint(helm: string, chart: string): Promise<string> {
  return runOk(helm, ['lint', '--strict', chart]);
}
