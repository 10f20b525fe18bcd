import { readFileSync } from 'node:fs';
import { waitFor } from '@aigw/testkit';

/**
 * The first line of an Envoy JSON access log (one object per line) that `match` accepts, waiting
 * for it (Envoy flushes the file on its own schedule: start it with a short
 * `--file-flush-interval-msec`).
 */
export function accessLogLine(
  path: string,
  match: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  return waitFor(
    () => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find(match);
    },
    { timeoutMs: 10_000, description: `an access log line in ${path}` },
  );
}

/**
 * The access-log lines Envoy wrote for `model` in an `aigw run`'s output (it prints them as
 * `[envoy] {…}`), in order.
 */
export function aigwAccessLines(output: string, model: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    const at = line.indexOf('{"');
    if (!line.includes('[envoy]') || at < 0) return [];
    try {
      const entry = JSON.parse(line.slice(at)) as Record<string, unknown>;
      return entry.model === model ? [entry] : [];
    } catch {
      return [];
    }
  });
}
