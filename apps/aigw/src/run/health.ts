import { listenerStatus } from './probes.js';

/** The outcome of {@link checkHealth}. */
export type HealthResult =
  { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string };

interface ListenerStatus {
  readonly name?: string;
  readonly local_address?: { readonly socket_address?: { readonly port_value?: number } };
}

/**
 * Checks a running `aigw run` through Envoy's admin API on 127.0.0.1:`adminPort`: `/ready` must
 * answer 200, `/listeners` must show a TCP listener, and that listener must answer an HTTP request
 * with a status below 500 (a 5xx there means Envoy cannot reach the extproc).
 */
export async function checkHealth(options: {
  adminPort: number;
  timeoutMs: number;
}): Promise<HealthResult> {
  const admin = `http://127.0.0.1:${String(options.adminPort)}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let ready: Response;
  try {
    ready = await fetch(`${admin}/ready`, { signal });
  } catch (err) {
    return {
      ok: false,
      reason: `no Envoy admin at ${admin} (${describe(err)}); is aigw run running with this --admin-port?`,
    };
  }
  const state = (await ready.text()).trim();
  if (ready.status !== 200) {
    return {
      ok: false,
      reason: `Envoy is not ready: ${admin}/ready answered ${String(ready.status)} ${state}`,
    };
  }
  const port = await listenerPort(admin, signal);
  if (port === undefined)
    return { ok: false, reason: `Envoy has no TCP listener (${admin}/listeners)` };
  try {
    const status = await listenerStatus(port);
    if (status >= 500) {
      return {
        ok: false,
        reason: `the gateway on port ${String(port)} answered ${String(status)} (is the extproc running?)`,
      };
    }
  } catch (err) {
    return {
      ok: false,
      reason: `the gateway on port ${String(port)} does not answer (${describe(err)})`,
    };
  }
  return { ok: true, detail: `Envoy ${state}, gateway listening on port ${String(port)}` };
}

async function listenerPort(admin: string, signal: AbortSignal): Promise<number | undefined> {
  try {
    const response = await fetch(`${admin}/listeners?format=json`, { signal });
    const body = (await response.json()) as { listener_statuses?: ListenerStatus[] };
    for (const listener of body.listener_statuses ?? []) {
      const port = listener.local_address?.socket_address?.port_value;
      if (typeof port === 'number' && port > 0) return port;
    }
  } catch {
    // Reported as "no TCP listener" by the caller.
  }
  return undefined;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  return cause?.code ?? err.message;
}
