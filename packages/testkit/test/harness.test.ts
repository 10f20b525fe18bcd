import { afterEach, describe, expect, it } from 'vitest';

import {
  dumpLogsIfFailed,
  jsonResponder,
  liveResources,
  startFakeUpstream,
  useHarness,
  withLogsOnFailure,
} from '../src/index.js';
import { isProcessRunning } from '../src/proc-info.js';

describe('useHarness with cleanup after each test', () => {
  const harness = useHarness({ cleanup: 'each' });
  let redisPid = -1;
  let upstreamName = '';

  it('starts resources through the harness', async () => {
    const redis = await harness.redis({ name: 'harness-redis' });
    const upstream = await harness.upstream(jsonResponder(200, {}), { name: 'harness-upstream' });
    redisPid = redis.pid;
    upstreamName = upstream.name;
    expect(liveResources().map((r) => r.name)).toEqual(
      expect.arrayContaining(['harness-redis', 'harness-upstream']),
    );
  });

  it('has stopped them once the previous test finished', () => {
    expect(isProcessRunning(redisPid)).toBe(false);
    expect(liveResources().map((r) => r.name)).not.toContain(upstreamName);
  });
});

describe('withLogsOnFailure', () => {
  const dumps: string[] = [];
  withLogsOnFailure({ write: (text) => dumps.push(text) });

  it.fails(
    'dumps the logs of resources used by a failing test, even ones already stopped',
    async () => {
      const upstream = await startFakeUpstream(jsonResponder(204, null), { name: 'short-lived' });
      await (await fetch(`${upstream.url}/ping`)).text();
      await upstream.close();
      throw new Error('deliberate failure');
    },
  );

  it('printed the stopped upstream’s request log', () => {
    expect(dumps).toHaveLength(1);
    expect(dumps[0]).toContain('logs for failed test: dumps the logs');
    expect(dumps[0]).toContain('───── short-lived');
    expect(dumps[0]).toContain('GET /ping -> 204');
  });

  it('prints nothing for passing tests', () => {
    expect(dumps).toHaveLength(1);
  });
});

describe('dumpLogsIfFailed', () => {
  const dumped: boolean[] = [];
  afterEach((context) => {
    // vitest's own test context satisfies FailedTestContext.
    dumped.push(dumpLogsIfFailed(context, { resources: [], write: () => undefined }));
  });

  it('does nothing after a passing test', () => {
    expect(true).toBe(true);
  });

  it('saw the previous test pass', () => {
    expect(dumped).toEqual([false]);
  });
});
