const part = /([0-9]+)(h|ms|m|s)/g;
const whole = /^([0-9]+(h|ms|m|s))+$/;
const unitMs: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/**
 * Milliseconds of a Gateway API duration (`60s`, `1m30s`, `500ms`, `1h`), or undefined when the
 * text is not one.
 */
export function durationMs(text: string): number | undefined {
  if (!whole.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(part)) {
    total += Number(amount) * (unitMs[unit ?? 's'] ?? 0);
  }
  return total;
}

/** A Gateway API duration as an Envoy (protobuf JSON) duration: `1m30s` → `90s`, `500ms` → `0.500s`. */
export function envoyDuration(text: string): `${string}s` {
  const ms = durationMs(text) ?? 0;
  return ms % 1000 === 0 ? `${String(ms / 1000)}s` : `${(ms / 1000).toFixed(3)}s`;
}
