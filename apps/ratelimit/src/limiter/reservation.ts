import type { ratelimit } from '@aigw/proto';
import { RateLimitError } from './rate-limit-error.js';

type Descriptor = ratelimit.RateLimitDescriptor;

/**
 * Descriptor entry keys of token reservations (docs/budgets.md). Envoy appends them as the last
 * entry of a descriptor; the limiter strips them before matching, so the limit, its counter and
 * its cache key are the same as without them.
 */
export const reservationKeys = {
  /** Request path: "reserve `hits_addend` if it fits" (any value). */
  reserve: 'aigw_reserve',
  /** Stream done: what was reserved (`<hits>@<unix seconds>`, or `0`); `hits_addend` is the usage. */
  reserved: 'aigw_reserved',
} as const;

/**
 * The key of the limiter's response dynamic metadata (Envoy keeps it under
 * `envoy.filters.http.ratelimit`) saying what an admitted request reserved: `<hits>@<unix
 * seconds>`. Absent when nothing was reserved (refused, store down, no reservation).
 */
export const reservedMetadataKey = 'aigw_reserved';

/** What a descriptor asks for. */
export type DescriptorIntent =
  | { readonly kind: 'count' }
  | { readonly kind: 'reserve' }
  | {
      readonly kind: 'reconcile';
      /** Hits reserved at admission (0 when nothing was). */
      readonly reserved: number;
      /** When they were reserved (unix seconds), undefined when nothing was. */
      readonly reservedAt: number | undefined;
    };

const countIntent: DescriptorIntent = { kind: 'count' };
const reserveIntent: DescriptorIntent = { kind: 'reserve' };

/** `<hits>@<unix seconds>`, the reservation as the limiter reports it. */
export function formatReserved(hits: number, atSeconds: number): string {
  return `${String(hits)}@${String(atSeconds)}`;
}

const reservedPattern = /^(\d{1,15})(?:@(\d{1,12}))?$/;

function parseReserved(value: string): DescriptorIntent {
  const match = reservedPattern.exec(value);
  if (!match) {
    throw new RateLimitError(
      'invalid_request',
      `descriptor entry ${reservationKeys.reserved}: expected <hits>@<unix seconds> or a number, got ${JSON.stringify(value.slice(0, 64))}`,
    );
  }
  const reserved = Number(match[1]);
  const at = match[2];
  return {
    kind: 'reconcile',
    reserved,
    reservedAt: at === undefined || reserved === 0 ? undefined : Number(at),
  };
}

/**
 * Splits a reservation entry off a descriptor: what it asks for, and the descriptor without that
 * entry (the one matched against the rules). A descriptor without one is a plain envoyproxy/
 * ratelimit count and is returned as it is.
 */
export function descriptorIntent(descriptor: Descriptor): {
  readonly intent: DescriptorIntent;
  readonly descriptor: Descriptor;
} {
  const last = descriptor.entries.at(-1);
  if (last?.key === reservationKeys.reserve) {
    return { intent: reserveIntent, descriptor: stripLast(descriptor) };
  }
  if (last?.key === reservationKeys.reserved) {
    return { intent: parseReserved(last.value), descriptor: stripLast(descriptor) };
  }
  return { intent: countIntent, descriptor };
}

function stripLast(descriptor: Descriptor): Descriptor {
  return { ...descriptor, entries: descriptor.entries.slice(0, -1) };
}
