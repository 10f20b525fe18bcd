import type { OutgoingHttpHeaders } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

import type { UpstreamHandler } from './start-fake-upstream.js';

/** Options for {@link sseResponder}. */
export interface SseResponderOptions {
  /** Pause before each frame after the first (default 0). */
  readonly delayMs?: number;
  /** Response status (default 200). */
  readonly status?: number;
  /** Extra response headers. */
  readonly headers?: OutgoingHttpHeaders;
  /**
   * Write frames verbatim (they must carry their own `event:`/`data:` lines and blank-line
   * terminator) instead of wrapping each as `data: <frame>\n\n` (default false).
   */
  readonly isRaw?: boolean;
}

/**
 * A fake-upstream handler that streams `frames` as Server-Sent Events, OpenAI style: each frame
 * is one `data:` payload, e.g. `['{"choices":[…]}', '[DONE]']`. Stops early if the client goes away.
 */
export function sseResponder(
  frames: readonly string[],
  options: SseResponderOptions = {},
): UpstreamHandler {
  const { delayMs = 0, status = 200, headers = {}, isRaw = false } = options;
  return async (_req, res) => {
    res.writeHead(status, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      ...headers,
    });
    res.flushHeaders();
    for (const [index, frame] of frames.entries()) {
      if (index > 0 && delayMs > 0) {
        await delay(delayMs);
      }
      if (res.destroyed) {
        return;
      }
      res.write(isRaw ? frame : `data: ${frame}\n\n`);
    }
    res.end();
  };
}
