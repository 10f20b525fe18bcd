import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  buildStandalone,
  isResourceError,
  loadResources,
  substituteEnv,
  type ResourceSet,
  type SourceFile,
  type StandaloneConfig,
  type StandaloneOptions,
} from '@aigw/gateway-config';
import { DefaultConfigError, defaultResources } from './default-config.js';
import type { ModelSource } from './model-discovery.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the gateway's resources come from: the user's files, or the embedded default. */
export type ConfigSource =
  { readonly kind: 'files'; readonly paths: readonly string[] } | { readonly kind: 'default' };

/** The outcome of reading and generating: a configuration, or every problem found. */
export type LoadOutcome =
  | {
      readonly ok: true;
      readonly config: StandaloneConfig;
      /** The raw input texts, to tell a real change from a touch. */
      readonly inputs: string;
      /** Things the user should know (e.g. which API key is missing), for the banner. */
      readonly notes: readonly string[];
      /** Input the gateway ignores (fields our CRDs do not know), one line each naming the file. */
      readonly warnings: readonly string[];
      /** Provider model lists to ask for `/v1/models` (the embedded default's catch-alls). */
      readonly modelSources: readonly ModelSource[];
    }
  | { readonly ok: false; readonly problems: readonly string[]; readonly inputs: string };

/** The source for `aigw run [files…]`: the files, or the embedded default when none is given. */
export function configSource(paths: readonly string[]): ConfigSource {
  return paths.length === 0
    ? { kind: 'default' }
    : { kind: 'files', paths: paths.map((path) => resolve(path)) };
}

/** The files to watch for reloads (none for the embedded default). */
export function watchedPaths(source: ConfigSource): readonly string[] {
  return source.kind === 'files' ? source.paths : [];
}

/**
 * Reads the source, substitutes `${VAR}` references from `env`, loads and validates the
 * resources and generates the standalone configuration. Never throws for bad input: every
 * problem comes back as one line naming the file, the object and the field.
 */
export async function loadGatewayConfig(
  source: ConfigSource,
  context: { readonly env: Env; readonly options: StandaloneOptions },
): Promise<LoadOutcome> {
  const read = await readSource(source, context.env);
  if (!read.ok) return read;
  try {
    // The embedded default is built from the environment already; user files reference it.
    const files: readonly SourceFile[] =
      source.kind === 'default'
        ? read.files
        : read.files.map((file) => ({
            path: file.path,
            text: substituteEnv(file.text, context.env, { file: file.path }),
          }));
    const resources = loadResources(files);
    const config = buildStandalone(resources, context.options);
    return {
      ok: true,
      config,
      // Discovered models change the output without a change of input: count them as input.
      inputs:
        context.options.extraModels === undefined
          ? read.inputs
          : `${read.inputs}\n${JSON.stringify(context.options.extraModels)}`,
      notes: read.notes,
      modelSources: read.modelSources,
      warnings: [...resources.warnings, ...listenerWarnings(resources, context.options.listenPort)],
    };
  } catch (err) {
    if (isResourceError(err)) return { ok: false, problems: err.problems, inputs: read.inputs };
    // A generator bug must not take a running gateway down on reload: report it like bad input.
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return { ok: false, problems: [`internal error: ${message}`], inputs: read.inputs };
  }
}

/**
 * aigw run serves every route on one listener, `--port`; a Gateway listener on another port (the
 * upstream examples use 80) is not opened. Said once per listener rather than silently.
 */
function listenerWarnings(resources: ResourceSet, listenPort: number): string[] {
  return resources.gateways.flatMap((gateway) =>
    gateway.resource.spec.listeners.flatMap((listener, i) =>
      listener.port === listenPort
        ? []
        : [
            `${gateway.file}: Gateway ${gateway.namespace}/${gateway.name}: spec.listeners[${String(i)}].port: ` +
              `${String(listener.port)} is not opened; aigw run serves every route on port ${String(listenPort)} (--port)`,
          ],
    ),
  );
}

type ReadOutcome =
  | {
      readonly ok: true;
      readonly files: readonly SourceFile[];
      readonly inputs: string;
      readonly notes: readonly string[];
      readonly modelSources: readonly ModelSource[];
    }
  | { readonly ok: false; readonly problems: readonly string[]; readonly inputs: string };

async function readSource(source: ConfigSource, env: Env): Promise<ReadOutcome> {
  if (source.kind === 'default') {
    try {
      const { text, notes, modelSources } = defaultResources(env);
      return {
        ok: true,
        files: [{ path: '<embedded default>', text }],
        inputs: text,
        notes,
        modelSources,
      };
    } catch (err) {
      if (err instanceof DefaultConfigError)
        return { ok: false, problems: [err.message], inputs: '' };
      throw err;
    }
  }
  const problems: string[] = [];
  const files: SourceFile[] = [];
  for (const path of source.paths) {
    try {
      files.push({ path, text: await readFile(path, 'utf8') });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      problems.push(`${path}: cannot read the file (${code})`);
    }
  }
  const inputs = JSON.stringify(files);
  return problems.length > 0
    ? { ok: false, problems, inputs }
    : { ok: true, files, inputs, notes: [], modelSources: [] };
}
