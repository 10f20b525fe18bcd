import { describe, expect, it } from 'vitest';

import { dumpLogs, dumpLogsIfFailed } from './dump-logs.js';

const source = (name: string, logs: string) => ({ name, logs: () => logs });

describe('dumpLogs', () => {
  it('prints one section per resource with its log tail', () => {
    const written: string[] = [];
    const text = dumpLogs({
      resources: [source('envoy', 'a\nb\nc\n'), source('redis', '')],
      tailLines: 2,
      title: 'my test',
      write: (chunk) => written.push(chunk),
    });
    expect(text).toContain('logs for failed test: my test');
    expect(text).toContain('───── envoy (last 2 lines) ─────\nb\nc\n');
    expect(text).toContain('───── redis (last 2 lines) ─────\n(no output)');
    expect(written).toEqual([text]);
  });

  it('prints nothing when there are no resources', () => {
    const written: string[] = [];
    expect(dumpLogs({ resources: [], write: (chunk) => written.push(chunk) })).toBe('');
    expect(written).toEqual([]);
  });
});

describe('dumpLogsIfFailed', () => {
  it.each([
    ['fail', true],
    ['pass', false],
    [undefined, false],
  ])('dumps when the state is %s: %s', (state, expected) => {
    const written: string[] = [];
    const task = { name: 't', result: state === undefined ? undefined : { state } };
    const dumped = dumpLogsIfFailed(
      { task },
      { resources: [source('x', 'y')], write: (c) => written.push(c) },
    );
    expect(dumped).toBe(expected);
    expect(written.length).toBe(expected ? 1 : 0);
  });
});
