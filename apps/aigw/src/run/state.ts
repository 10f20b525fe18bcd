import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from './atomic-write.js';

/**
 * What the writer reads of an xDS file: the names of its resources (a gateway-config
 * `DiscoveryResponse` is one).
 */
export interface XdsDocument {
  readonly resources: readonly { readonly name?: string | undefined }[];
}

/**
 * What the writer reads of a filter config: its backends' names, for the bridge config (a
 * gateway-config `FilterConfigInput` is one). The rest is written as given.
 */
export type FilterConfigDocument = Readonly<Record<string, unknown>> & {
  readonly backends?: readonly { readonly name: string }[] | undefined;
};

/**
 * What `aigw run` writes for its children: the parts of `@aigw/gateway-config`'s output it uses
 * (a `StandaloneConfig` is one), typed by what the writer reads; the rest is serialised as is.
 */
export interface GeneratedState {
  readonly bootstrap: object;
  readonly xds: Readonly<Record<string, XdsDocument>>;
  readonly filterConfig: FilterConfigDocument;
  readonly files: Readonly<Record<string, string>>;
  /**
   * Credential files the filter config names that aigw's rotators write (`rotation.ts`): kept
   * while listed, removed with the other unused credential files once they are not.
   */
  readonly rotations?: readonly { readonly path: string }[];
  readonly rateLimitRules?: object | undefined;
}

/** Where each piece lives under the state directory. */
export interface StatePaths {
  readonly dir: string;
  readonly bootstrap: string;
  readonly filterConfig: string;
  readonly rulesDir: string;
  readonly rulesFile: string;
  readonly extprocSocket: string;
}

const statePrefix = 'aigw-run-';

/** The state directory layout. */
export function statePaths(dir: string): StatePaths {
  return {
    dir,
    bootstrap: join(dir, 'envoy.yaml'),
    filterConfig: join(dir, 'filter-config.yaml'),
    rulesDir: join(dir, 'ratelimit'),
    rulesFile: join(dir, 'ratelimit', 'rules.yaml'),
    extprocSocket: join(dir, 'extproc.sock'),
  };
}

/**
 * Creates a fresh private state directory under the OS temp dir and records aigw's pid in it, so
 * a later run can remove directories left by an aigw that was SIGKILLed ({@link removeStaleStateDirs}).
 */
export async function createStateDir(parent: string = tmpdir()): Promise<StatePaths> {
  const dir = await mkdtemp(join(parent, statePrefix));
  await writeFile(join(dir, 'aigw.pid'), `${String(process.pid)}\n`);
  return statePaths(dir);
}

/** Removes state directories whose aigw is gone (it was killed before it could clean up). */
export async function removeStaleStateDirs(parent: string = tmpdir()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => n.startsWith(statePrefix))) {
    const dir = join(parent, name);
    const pid = Number((await readFile(join(dir, 'aigw.pid'), 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && !isAlive(pid)) {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Serialises by extension: `.json` as JSON, anything else as YAML (what Envoy reads by name). */
export function serialize(path: string, value: object): string {
  return extname(path) === '.json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** Clusters first, then routes, then listeners, then anything else: what refers comes last. */
export function xdsOrder(path: string): number {
  const name = basename(path).toLowerCase();
  if (/^cds|cluster/.test(name)) return 0;
  if (/^rds|route/.test(name)) return 1;
  if (/^lds|listener/.test(name)) return 2;
  return 3;
}

/** Cluster names declared in a CDS file (`resources[].name`). */
export function clusterNames(content: XdsDocument): string[] {
  return content.resources.flatMap(({ name }) => (name === undefined ? [] : [name]));
}

/** Hooks of {@link StateWriter.apply}. */
export interface ApplyHooks {
  /** Runs after the cluster files were written: wait until Envoy has the clusters. */
  readonly afterClusters?: (names: readonly string[]) => Promise<void>;
  /**
   * Called just before a filter config with this `uuid` is written; the promise it returns (the
   * extproc has loaded it) is awaited after the write.
   */
  readonly filterConfigLoaded?: (uuid: string) => Promise<void>;
}

/**
 * `next` with the backends of `previous` that `next` dropped: the filter config the extproc needs
 * while Envoy may still route by either generation of the xDS files.
 */
export function withBackendsOf(
  next: FilterConfigDocument,
  previous: FilterConfigDocument,
): FilterConfigDocument {
  const nextBackends = next.backends ?? [];
  const names = new Set(nextBackends.map((backend) => backend.name));
  const dropped = (previous.backends ?? []).filter((b) => !names.has(b.name));
  return dropped.length === 0 ? next : { ...next, backends: [...nextBackends, ...dropped] };
}

function backendNames(config: FilterConfigDocument | undefined): Set<string> {
  return new Set((config?.backends ?? []).map((b) => b.name));
}

/** Whether `next` has a backend `previous` does not. */
export function addsBackends(
  next: FilterConfigDocument,
  previous: FilterConfigDocument | undefined,
): boolean {
  const known = backendNames(previous);
  return [...backendNames(next)].some((name) => !known.has(name));
}

/**
 * Writes the generated configuration into the state directory, each file atomically and only when
 * its content changed, in an order that never lets a reader refer to something it does not know:
 *
 * 1. credential files;
 * 2. when the routes change too and name a backend the extproc does not know yet, a bridge filter
 *    config with the backends of both generations, which the extproc must load first
 *    (`filterConfigLoaded`): Envoy may name either generation's backends from the moment it
 *    reads the new xDS files;
 * 3. the xDS files: clusters (then `afterClusters`: Envoy must have them), routes, listeners;
 * 4. the rate-limit rules;
 * 5. the final filter config, and only then removal of credential files no longer used.
 *
 * Every filter config written carries a fresh `uuid`, which the extproc logs when it loads it.
 */
export class StateWriter {
  readonly paths: StatePaths;
  readonly #written = new Map<string, string>();
  #credentialFiles = new Set<string>();
  #filterConfig: FilterConfigDocument | undefined;
  #filterText = '';

  constructor(paths: StatePaths) {
    this.paths = paths;
  }

  /** Writes everything, including the Envoy bootstrap (read once, at Envoy's start). */
  async writeAll(state: GeneratedState): Promise<void> {
    await this.#write(this.paths.bootstrap, serialize(this.paths.bootstrap, state.bootstrap));
    await this.apply(state);
  }

  /** Writes what changed; returns the paths written, in order. */
  async apply(state: GeneratedState, hooks: ApplyHooks = {}): Promise<string[]> {
    const written: string[] = [];
    const write = async (path: string, text: string, mode?: number): Promise<void> => {
      if (await this.#write(path, text, mode)) written.push(path);
    };
    const credentials = new Set<string>();
    for (const [relative, text] of Object.entries(state.files)) {
      const path = join(this.paths.dir, relative);
      credentials.add(path);
      await write(path, text, 0o600);
    }
    for (const { path } of state.rotations ?? []) {
      credentials.add(path);
      // A rotator writes it now: a static credential there later must be written again.
      this.#written.delete(path);
    }
    const filterText = serialize(this.paths.filterConfig, state.filterConfig);
    const filterChanged = filterText !== this.#filterText;
    const xds = Object.entries(state.xds)
      .sort(([a], [b]) => xdsOrder(a) - xdsOrder(b))
      .map(([relative, content]) => ({ relative, content, path: join(this.paths.dir, relative) }));
    const bridge = filterChanged ? this.#bridge(state.filterConfig, xds) : undefined;
    if (bridge !== undefined) {
      await this.#writeFilterConfig(bridge, hooks);
      written.push(this.paths.filterConfig);
    }
    for (const { relative, content, path } of xds) {
      const before = written.length;
      await write(path, serialize(path, content));
      if (xdsOrder(relative) === 0 && written.length > before) {
        await hooks.afterClusters?.(clusterNames(content));
      }
    }
    await this.#writeRules(state.rateLimitRules, write);
    if (filterChanged) {
      await this.#writeFilterConfig(state.filterConfig, hooks);
      this.#filterConfig = state.filterConfig;
      this.#filterText = filterText;
      written.push(this.paths.filterConfig);
    }
    await this.#removeOldCredentials(credentials);
    return written;
  }

  /**
   * The bridge filter config, when one is needed: the xDS files change and the new config names
   * a backend the running one lacks.
   */
  #bridge(
    next: FilterConfigDocument,
    xds: readonly { path: string; content: XdsDocument }[],
  ): FilterConfigDocument | undefined {
    const previous = this.#filterConfig;
    if (previous === undefined || !addsBackends(next, previous)) return undefined;
    const xdsChanged = xds.some(
      ({ path, content }) => this.#written.get(path) !== serialize(path, content),
    );
    return xdsChanged ? withBackendsOf(next, previous) : undefined;
  }

  async #writeFilterConfig(config: FilterConfigDocument, hooks: ApplyHooks): Promise<void> {
    const uuid = randomUUID();
    const path = this.paths.filterConfig;
    const loaded = hooks.filterConfigLoaded?.(uuid);
    await writeFileAtomic(path, serialize(path, { ...config, uuid }), { mode: 0o644 });
    await loaded;
  }

  async #writeRules(
    rules: object | undefined,
    write: (path: string, text: string) => Promise<void>,
  ): Promise<void> {
    if (rules !== undefined) {
      await write(this.paths.rulesFile, serialize(this.paths.rulesFile, rules));
    } else if (this.#written.has(this.paths.rulesFile)) {
      await rm(this.paths.rulesFile, { force: true });
      this.#written.delete(this.paths.rulesFile);
    }
  }

  async #removeOldCredentials(current: Set<string>): Promise<void> {
    for (const path of this.#credentialFiles) {
      if (current.has(path)) continue;
      await rm(path, { force: true });
      this.#written.delete(path);
    }
    this.#credentialFiles = current;
  }

  async #write(path: string, text: string, mode = 0o644): Promise<boolean> {
    if (this.#written.get(path) === text) return false;
    await writeFileAtomic(path, text, { mode });
    this.#written.set(path, text);
    return true;
  }
}
