import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

/** Answers with a JSON body; `head` is the status, or the status with extra headers. */
export function sendJson(
  res: ServerResponse,
  head: number | { readonly status: number; readonly headers: OutgoingHttpHeaders },
  body: unknown,
): void {
  const { status, headers } = typeof head === 'number' ? { status: head, headers: {} } : head;
  const payload = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    })
    .end(payload);
}

/**
 * Streams `chunks` with a short pause between them (so Envoy and the extproc see several body
 * messages), stopping if the client went away.
 */
export async function sendStream(
  res: ServerResponse,
  chunks: readonly (string | Uint8Array)[],
  headers: OutgoingHttpHeaders,
): Promise<void> {
  res.writeHead(200, headers);
  res.flushHeaders();
  for (const chunk of chunks) {
    if (res.destroyed) return;
    res.write(chunk);
    await delay(2);
  }
  res.end();
}

/** SSE headers as the providers send them. */
export const sseHeaders: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};

/** Parses a request body as a JSON object, or `undefined`. */
export function jsonBody(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A request header as one string. */
export function headerOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
