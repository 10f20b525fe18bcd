import type { OutgoingHttpHeaders } from 'node:http';

import type { UpstreamHandler } from './start-fake-upstream.js';

/** A fake-upstream handler that answers every request with `status` and `body` as JSON. */
export function jsonResponder(
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): UpstreamHandler {
  const payload = JSON.stringify(body);
  return (_req, res) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    });
    res.end(payload);
  };
}
