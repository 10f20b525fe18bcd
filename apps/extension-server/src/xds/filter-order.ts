/**
 * Prefixes of the HTTP filters the router-level ext_proc must run before: it rewrites the body and
 * sets the model header, which authorisation, rate limits, compression and the router depend on.
 */
const runsAfterExtProc = [
  'ext_proc',
  'wasm',
  'lua',
  'rbac',
  'local_ratelimit',
  'ratelimit',
  'custom_response',
  'credential_injector',
  'compressor',
  'router',
].map((name) => `envoy.filters.http.${name}`);

const bufferFilter = 'envoy.filters.http.buffer';

/**
 * Where the router-level ext_proc goes among an HCM's filters (upstream's order): before the first
 * filter of {@link runsAfterExtProc}, but after the last buffer filter when one sits at or after
 * that point (a buffer before ext_proc would hold the body it needs to see).
 */
export function routerExtProcPosition(names: readonly string[]): number {
  let position = names.findIndex((name) => runsAfterExtProc.some((p) => name.startsWith(p)));
  if (position < 0) position = names.length;
  const lastBuffer = names.findLastIndex((name) => name.startsWith(bufferFilter));
  return lastBuffer >= position ? lastBuffer + 1 : position;
}
