import { TestkitError } from './errors.js';

/** An HTTP method the Envoy admin API accepts. */
export type AdminMethod = 'GET' | 'POST';

const adminTimeoutMs = 5_000;

/**
 * Sends a request to the Envoy admin API at `adminUrl` and returns the response body.
 *
 * @throws TestkitError `admin-error` on a non-2xx status.
 */
export async function adminRequest(
  adminUrl: string,
  path: string,
  method: AdminMethod = 'GET',
): Promise<string> {
  const response = await fetch(new URL(path, adminUrl), {
    method,
    signal: AbortSignal.timeout(adminTimeoutMs),
  });
  const body = await response.text();
  if (!response.ok) {
    throw new TestkitError(
      'admin-error',
      `Envoy admin ${method} ${path} returned ${String(response.status)}: ${body.slice(0, 500)}`,
    );
  }
  return body;
}

/**
 * Maps each listener name in an admin `/listeners?format=json` response to its bound TCP port
 * (`undefined` for pipe listeners).
 */
export function parseListenerPorts(json: unknown): Map<string, number | undefined> {
  const ports = new Map<string, number | undefined>();
  const statuses = field(json, 'listener_statuses');
  for (const status of Array.isArray(statuses) ? (statuses as unknown[]) : []) {
    const name = field(status, 'name');
    if (typeof name === 'string') {
      const port = field(field(field(status, 'local_address'), 'socket_address'), 'port_value');
      ports.set(name, typeof port === 'number' ? port : undefined);
    }
  }
  return ports;
}

/**
 * Turns an admin `/stats?format=json` response into `{ statName: value }` for counters and gauges
 * (histograms and text readouts are skipped).
 */
export function parseStats(json: unknown): Record<string, number> {
  const stats: Record<string, number> = {};
  const entries = field(json, 'stats');
  for (const entry of Array.isArray(entries) ? (entries as unknown[]) : []) {
    const name = field(entry, 'name');
    const value = field(entry, 'value');
    if (typeof name === 'string' && typeof value === 'number') {
      stats[name] = value;
    }
  }
  return stats;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
