import { beforeEach } from 'vitest';

import { dumpLogs, type DumpLogsOptions, type LogSource } from './dump-logs.js';
import { liveResources, watchRegistrations } from './registry.js';

/**
 * Call at file or `describe` level: when a test fails, prints the log tail of every resource that
 * was live at any point during that test — including ones the test or an `afterEach` already
 * stopped, since their logs are kept in memory.
 */
export function withLogsOnFailure(
  options: Omit<DumpLogsOptions, 'resources' | 'title'> = {},
): void {
  beforeEach((context) => {
    const seen = new Set<LogSource>(liveResources());
    const unwatch = watchRegistrations((resource) => seen.add(resource));
    context.onTestFailed(() => {
      dumpLogs({ ...options, resources: seen, title: context.task.name });
    });
    context.onTestFinished(() => {
      unwatch();
    });
  });
}
