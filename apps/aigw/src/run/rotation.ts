import { isDeepStrictEqual } from 'node:util';
import {
  createRotator,
  exchangeFor,
  type Clock,
  type ExchangeOptions,
  type RotatedCredential,
  type RotationKind,
  type Rotator,
  type RotatorLog,
} from '@aigw/cloud-credentials';
import type { StandaloneConfig } from '@aigw/gateway-config';
import { writeFileAtomic } from './atomic-write.js';

/** A credential `aigw run` exchanges and refreshes (from `@aigw/gateway-config`). */
export type CredentialRotation = StandaloneConfig['rotations'][number];

/** The first credential of one or more policies could not be obtained. */
export class RotationStartError extends Error {
  override readonly name = 'RotationStartError';
  readonly code = 'credentials-unavailable';
  /** One line per policy: file, policy and why (never a secret). */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super('could not obtain the cloud credentials of every BackendSecurityPolicy', options);
    this.problems = problems;
  }
}

/** Options of {@link CredentialRotations}. */
export interface CredentialRotationsOptions {
  /** Where the rotators log (one line per refresh, one per failure; never a credential). */
  readonly log: RotatorLog;
  /** Endpoints, timeouts (not `signal`: each rotator has its own). */
  readonly exchange?: Omit<ExchangeOptions, 'signal'>;
  readonly clock?: Clock;
  /** Refresh this long before expiry (default: upstream's 5 minutes). */
  readonly preRotationWindowMs?: number;
}

/** One running rotator and the credential file it keeps. */
class Entry {
  readonly rotation: CredentialRotation;
  readonly rotator: Rotator<RotatedCredential>;
  #latest: RotatedCredential | undefined;
  #committed = false;
  #writes: Promise<void> = Promise.resolve();

  /** `create` makes the rotator, given its sink. */
  constructor(
    rotation: CredentialRotation,
    create: (sink: (credential: RotatedCredential) => Promise<void>) => Rotator<RotatedCredential>,
  ) {
    this.rotation = rotation;
    this.rotator = create((credential) => this.#receive(credential));
  }

  /** The rotator's sink: the file is written once the rotation is taken on ({@link commit}). */
  async #receive(credential: RotatedCredential): Promise<void> {
    this.#latest = credential;
    if (this.#committed) await this.#flush();
  }

  /** Takes the rotation on: from now on every credential is written, starting with the latest. */
  async commit(): Promise<void> {
    this.#committed = true;
    await this.#flush();
  }

  /** Writes the latest credential; writes are serialised, so the file ends with the newest. */
  #flush(): Promise<void> {
    const write = this.#writes.then(async () => {
      const latest = this.#latest;
      if (latest === undefined) return;
      await writeFileAtomic(this.rotation.path, latest.fileContent, { mode: 0o600 });
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }
}

/** `file: BackendSecurityPolicy ns/name`, as configuration problems name a policy. */
function policyLabel(rotation: CredentialRotation): string {
  const { file, namespace, name } = rotation.policy;
  return `${file}: BackendSecurityPolicy ${namespace}/${name}`;
}

/** Whether two rotations exchange the same thing (the file a policy came from does not matter). */
function sameRotation(a: CredentialRotation, b: CredentialRotation): boolean {
  const identity = (r: CredentialRotation): object => ({
    kind: r.kind,
    namespace: r.policy.namespace,
    name: r.policy.name,
    spec: r.policy.spec,
    secrets: r.secrets,
  });
  return isDeepStrictEqual(identity(a), identity(b));
}

/**
 * The credential rotators of `aigw run`: one per policy that needs an exchange (Azure client
 * secret or OIDC, GCP service-account key or workload identity federation, AWS OIDC), each
 * writing its credential file atomically where the extproc reads it (the extproc re-reads a
 * changed file). The Secrets come from the loaded resources, carried by each rotation.
 *
 * A new rotator writes nothing until {@link CredentialRotations.sync} takes it on, after every
 * new rotator has its first credential and the rotators it replaces have stopped: a failed
 * reload leaves every file as it was, and one path never has two writers.
 */
export class CredentialRotations {
  readonly #options: CredentialRotationsOptions;
  readonly #entries = new Map<string, Entry>();
  #stopped = false;

  constructor(options: CredentialRotationsOptions) {
    this.#options = options;
  }

  /** The credential files kept fresh, by path. */
  get paths(): readonly string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Brings the rotators to `desired`: starts one for each new or changed rotation and waits for
   * its first credential, then stops those no longer wanted or replaced and writes the new
   * credentials. When a first exchange fails nothing changes: the new rotators are stopped and
   * the running ones go on.
   *
   * @throws RotationStartError naming each policy whose first exchange failed and why;
   * `signal`'s reason when it fires first.
   */
  async sync(
    desired: readonly CredentialRotation[],
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (this.#stopped) return;
    const added = desired
      .filter((r) => {
        const running = this.#entries.get(r.path);
        return running === undefined || !sameRotation(running.rotation, r);
      })
      .map((r) => this.#create(r));
    for (const entry of added) entry.rotator.start();
    let problems: string[];
    try {
      problems = await firstCredentials(added, options.signal);
    } catch (err) {
      await stopAll(added);
      throw err;
    }
    if (problems.length > 0) {
      await stopAll(added);
      throw new RotationStartError(problems);
    }
    const wanted = new Set(desired.map((r) => r.path));
    const replaced = new Set(added.map((e) => e.rotation.path));
    const stale = [...this.#entries.values()].filter(
      (e) => !wanted.has(e.rotation.path) || replaced.has(e.rotation.path),
    );
    await stopAll(stale);
    for (const entry of stale) this.#entries.delete(entry.rotation.path);
    for (const entry of added) this.#entries.set(entry.rotation.path, entry);
    await Promise.all(added.map((entry) => entry.commit()));
  }

  /** Settles once no exchange or write is running (tests: after advancing a fake clock). */
  async idle(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => e.rotator.idle()));
  }

  /** Stops every rotator; nothing is written afterwards. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await stopAll(entries);
  }

  #create(rotation: CredentialRotation): Entry {
    const { namespace, name, spec } = rotation.policy;
    const policy = { namespace, name, spec };
    const read = (ref: { namespace: string; name: string }): Readonly<Record<string, string>> =>
      rotation.secrets[`${ref.namespace}/${ref.name}`] ?? {};
    const exchange = this.#options.exchange ?? {};
    return new Entry(rotation, (sink) =>
      createRotator({
        name: `${namespace}/${name}`,
        // gateway-config names the exchanges as cloud-credentials does (it does not depend on it).
        kind: rotation.kind satisfies RotationKind,
        exchange: (signal) => exchangeFor(policy, read, { ...exchange, signal }),
        sink,
        log: this.#options.log,
        ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
        ...(this.#options.preRotationWindowMs === undefined
          ? {}
          : { preRotationWindowMs: this.#options.preRotationWindowMs }),
      }),
    );
  }
}

async function stopAll(entries: readonly Entry[]): Promise<void> {
  await Promise.all(entries.map((e) => e.rotator.stop()));
}

/** Waits for the first credential of each; one problem line per failure. */
async function firstCredentials(
  entries: readonly Entry[],
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const firsts = Promise.all(
    entries.map(async (entry) => {
      try {
        await entry.rotator.ready({ failFast: true });
        return undefined;
      } catch (err) {
        return `${policyLabel(entry.rotation)}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }),
  );
  const done = async (): Promise<string[]> =>
    (await firsts).filter((p): p is string => p !== undefined);
  if (signal === undefined) return done();
  signal.throwIfAborted();
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([done(), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
