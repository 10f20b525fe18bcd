import { tailLines } from './log-buffer.js';
import { liveResources } from './registry.js';

/** Anything with a name and logs: a process, an upstream, or a handle returned by a starter. */
export interface LogSource {
  readonly name: string;
  logs(): string;
}

/** Options for {@link dumpLogs}. */
export interface DumpLogsOptions {
  /** Whose logs to print (default: every live resource). */
  readonly resources?: Iterable<LogSource>;
  /** Lines per resource (default 200). */
  readonly tailLines?: number;
  /** Heading, e.g. the failed test's name. */
  readonly title?: string;
  /** Where the text goes (default `console.error`, which vitest attributes to the current test). */
  readonly write?: (text: string) => void;
}

/** The part of vitest's test context {@link dumpLogsIfFailed} needs. */
export interface FailedTestContext {
  readonly task: {
    readonly name?: string;
    readonly result?: { readonly state?: string } | undefined;
  };
}

/** Prints (and returns) the log tail of each resource, one delimited section per resource. */
export function dumpLogs(options: DumpLogsOptions = {}): string {
  const lines = options.tailLines ?? 200;
  const sections = [...(options.resources ?? liveResources())].map((source) =>
    section(source, lines),
  );
  if (sections.length === 0) {
    return '';
  }
  const heading = options.title === undefined ? '' : `logs for failed test: ${options.title}\n`;
  const text = heading + sections.join('\n');
  (options.write ?? defaultWrite)(text);
  return text;
}

/**
 * For `afterEach((ctx) => dumpLogsIfFailed(ctx))`: dumps every live resource's log tail when the
 * current test failed; returns whether it did.
 */
export function dumpLogsIfFailed(
  context: FailedTestContext,
  options: DumpLogsOptions = {},
): boolean {
  if (context.task.result?.state !== 'fail') {
    return false;
  }
  dumpLogs({
    ...(context.task.name === undefined ? {} : { title: context.task.name }),
    ...options,
  });
  return true;
}

function section(source: LogSource, lines: number): string {
  const logs = source.logs();
  const body = logs === '' ? '(no output)' : tailLines(logs, lines);
  return `───── ${source.name} (last ${String(lines)} lines) ─────\n${body}\n`;
}

function defaultWrite(text: string): void {
  console.error(text);
}
