import type { BodyMutation, HeaderMutation } from '@aigw/filterapi';
import type { HeaderChanges } from '@aigw/translator';
import type { HeaderEntry } from './messages.js';

/** Thrown when a backend's body mutation cannot be applied to the request body. */
export class BodyMutationError extends Error {
  override readonly name = 'BodyMutationError';
  readonly code = 'body_not_json_object';
}

/**
 * The request-header changes of one upstream attempt, in the order they are decided: each name
 * ends up either set (to its last value) or removed, never both, so the order Envoy applies
 * `remove_headers` and `set_headers` in does not matter. A name keeps the position it was first
 * given.
 */
export class HeaderPlan {
  readonly #entries = new Map<string, string | null>();

  /** Sets a header (replacing an earlier decision about it). */
  set(name: string, value: string): void {
    this.#entries.set(name, value);
  }

  /** Removes a header (replacing an earlier decision about it). */
  remove(name: string): void {
    this.#entries.set(name, null);
  }

  /** Applies a translator's changes: removals, then sets, as the translator contract says. */
  apply(changes: HeaderChanges): void {
    for (const name of changes.remove) this.remove(name);
    for (const [name, value] of changes.set) this.set(name, value);
  }

  /** Whether this attempt decided anything about `name`. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Every name decided so far (what a later attempt may have to undo). */
  names(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** The headers to set, in decision order. */
  get sets(): HeaderEntry[] {
    const out: HeaderEntry[] = [];
    for (const [name, value] of this.#entries) if (value !== null) out.push([name, value]);
    return out;
  }

  /** The headers to remove, in decision order. */
  get removals(): string[] {
    const out: string[] = [];
    for (const [name, value] of this.#entries) if (value === null) out.push(name);
    return out;
  }
}

/**
 * Applies a backend's `headerMutation` (after translation, before credentials, as upstream does):
 * removals, then sets. Names in `isProtected` (the credential the attempt injects or signs) are
 * left alone, so a mutation never replaces or drops the backend credential; the config schema
 * already refuses pseudo-headers, `host` and `content-length`.
 */
export function applyHeaderMutation(
  plan: HeaderPlan,
  mutation: HeaderMutation | undefined,
  isProtected: (name: string) => boolean,
): void {
  if (!mutation) return;
  for (const name of mutation.remove ?? []) if (!isProtected(name)) plan.remove(name);
  for (const { name, value } of mutation.set ?? []) if (!isProtected(name)) plan.set(name, value);
}

/**
 * On a retry, undoes what earlier attempts did to headers this attempt leaves alone: Envoy may
 * hand the upstream filter of a retry the headers as the previous attempt's filter left them
 * (upstream restores them for that reason), so a header another backend's mutation or credential
 * set is removed again, and one it removed or overwrote gets its original value back. Only
 * headers whose current value differs from the original are touched.
 */
export function restoreHeaders(
  plan: HeaderPlan,
  options: {
    readonly touched: Iterable<string>;
    readonly original: ReadonlyMap<string, string>;
    readonly current: ReadonlyMap<string, string>;
  },
): void {
  for (const name of options.touched) {
    if (plan.has(name) || name.startsWith(':')) continue;
    const original = options.original.get(name);
    const current = options.current.get(name);
    if (original === current) continue;
    if (original === undefined) plan.remove(name);
    else plan.set(name, original);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function jsonObjectOf(body: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw new BodyMutationError('the request body is not JSON', { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new BodyMutationError('the request body is not a JSON object');
  return json as Record<string, unknown>;
}

/**
 * Applies a backend's `bodyMutation` to the (translated) request body: removes, then sets
 * top-level fields, each `value` being JSON text. Returns the re-serialised body, or `undefined`
 * when there is nothing to do. Starts from `body` each time, so a retry on another backend gets
 * only its own mutation.
 *
 * @throws BodyMutationError when the body is not a JSON object.
 */
export function applyBodyMutation(
  body: Uint8Array,
  mutation: BodyMutation | undefined,
): Uint8Array | undefined {
  const remove = mutation?.remove ?? [];
  const set = mutation?.set ?? [];
  if (remove.length === 0 && set.length === 0) return undefined;
  const fields = jsonObjectOf(body);
  for (const path of remove) Reflect.deleteProperty(fields, path);
  for (const { path, value } of set) {
    // The schema checked that `value` is JSON; define rather than assign so `__proto__` is a field.
    Object.defineProperty(fields, path, {
      value: JSON.parse(value) as unknown,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return new TextEncoder().encode(JSON.stringify(fields));
}
