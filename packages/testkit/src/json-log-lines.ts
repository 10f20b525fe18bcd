import type { ManagedProcess } from './spawn-managed.js';

/**
 * The JSON log lines (pino) of a managed process, parsed, oldest first; lines that are not JSON
 * (a prefix before the `{` is skipped) are left out. With `msg`, only the lines whose message
 * starts with it.
 */
export function jsonLogLines(proc: ManagedProcess, msg?: string): Record<string, unknown>[] {
  return proc
    .logTail(1_000_000)
    .split('\n')
    .flatMap((line) => {
      const start = line.indexOf('{');
      if (start === -1) return [];
      try {
        return [JSON.parse(line.slice(start)) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter(
      (entry) =>
        msg === undefined || (typeof entry['msg'] === 'string' && entry['msg'].startsWith(msg)),
    );
}
