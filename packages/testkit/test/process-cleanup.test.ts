import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import {
  liveResources,
  reapOrphans,
  spawnManaged,
  startFakeUpstream,
  startRedis,
  stopAll,
  tempDir,
  jsonResponder,
  waitFor,
} from '../src/index.js';
import { isProcessRunning } from '../src/proc-info.js';

afterAll(() => stopAll());

// Not `process.kill(pid, 0)`: a killed child whose parent died stays a zombie until init reaps it.
const isAlive = isProcessRunning;

const fixture = join(import.meta.dirname, 'fixtures', 'spawn-and-hang.ts');

/** Starts the fixture (a stand-in test process) and returns it with the pid of its managed child. */
async function startRunner(): Promise<{ runner: ChildProcess; childPid: number }> {
  const runner = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  runner.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const pidLine = new Promise<string>((resolve) => {
    runner.stdout.once('data', (chunk: Buffer) => {
      resolve(chunk.toString());
    });
  });
  const exited = once(runner, 'exit').then(() => undefined);
  const line = await Promise.race([pidLine, exited]);
  if (line === undefined) {
    throw new Error(`fixture exited early: ${output}`);
  }
  return { runner, childPid: Number(line.trim()) };
}

describe('spawnManaged', () => {
  it('keeps combined stdout and stderr', async () => {
    const proc = await spawnManaged('sh', ['-c', 'echo out; echo err >&2; exec sleep 30'], {
      name: 'sh',
    });
    await proc.untilReady(() => proc.logs().includes('err'), { description: 'output' });
    expect(proc.logs()).toMatch(/out\n[\s\S]*err\n|err\n[\s\S]*out\n/);
    await proc.stop();
    expect(proc.exitStatus()).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('rejects with the log tail when the child exits before it is ready', async () => {
    const proc = await spawnManaged('sh', ['-c', 'echo "fatal: bad config"; exit 3'], {
      name: 'early',
    });
    await expect(proc.untilReady(() => false, { description: 'never' })).rejects.toThrow(
      /early \(pid \d+\) exited with code 3 before it was ready\. Last log lines:\nfatal: bad config/,
    );
  });

  it('stops and rejects with the log tail when readiness times out', async () => {
    const proc = await spawnManaged('sh', ['-c', 'echo still starting; exec sleep 30'], {
      name: 'slow',
    });
    await expect(
      proc.untilReady(() => false, { timeoutMs: 200, description: 'ready' }),
    ).rejects.toThrow(
      /slow \(pid \d+\) timed out after 200 ms waiting for ready before it was ready\. Last log lines:\nstill starting/,
    );
    expect(isAlive(proc.pid)).toBe(false);
  });

  it('escalates to SIGKILL when the child ignores SIGTERM', async () => {
    const proc = await spawnManaged(
      'sh',
      ['-c', 'trap "" TERM; echo trapped; while :; do sleep 0.1; done'],
      {
        name: 'stubborn',
        stopGraceMs: 300,
      },
    );
    await proc.untilReady(() => proc.logs().includes('trapped'), { description: 'trap set' });
    await proc.stop();
    expect(proc.exitStatus()?.signal).toBe('SIGKILL');
  });

  it('rejects with spawn-failed when the program does not exist', async () => {
    await expect(spawnManaged('/nonexistent/prog', [], { name: 'ghost' })).rejects.toThrow(
      expect.objectContaining({ code: 'spawn-failed' }),
    );
  });
});

describe('stopAll', () => {
  it('stops every process and server and removes temp dirs', async () => {
    const redis = await startRedis();
    const sleeper = await spawnManaged('sleep', ['30'], { name: 'sleeper' });
    const upstream = await startFakeUpstream(jsonResponder(200, {}));
    const dir = tempDir('stop-all');
    expect(liveResources().length).toBeGreaterThanOrEqual(3);
    await stopAll();
    expect(liveResources()).toEqual([]);
    expect(isAlive(redis.pid)).toBe(false);
    expect(isAlive(sleeper.pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(fetch(upstream.url)).rejects.toThrow();
  });
});

describe('orphan protection', () => {
  it('kills children when the test process itself is SIGKILLed (parent-death signal)', async () => {
    const { runner, childPid } = await startRunner();
    expect(isAlive(childPid)).toBe(true);
    runner.kill('SIGKILL');
    await once(runner, 'exit');
    await waitFor(() => !isAlive(childPid), { timeoutMs: 5_000, description: 'orphan to die' });
  });

  it('runs exit hooks that kill children on SIGTERM', async () => {
    const { runner, childPid } = await startRunner();
    runner.kill('SIGTERM');
    const [, signal] = (await once(runner, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGTERM');
    expect(isAlive(childPid)).toBe(false);
    expect(existsSync(join(tmpdir(), `aigw-testkit-${String(runner.pid)}`))).toBe(false);
  });

  it('reapOrphans kills children recorded by a dead owner, verified by start time', async () => {
    const orphan = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(orphan, 'spawn');
    const pid = orphan.pid ?? -1;
    const startTime = (await import('node:fs')).readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const ticks = startTime.slice(startTime.lastIndexOf(')') + 2).split(' ')[19];
    // A pid that cannot exist (above pid_max) stands in for a dead owner.
    const dir = join(tmpdir(), 'aigw-testkit-99999999');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: 99999999, command: 'owner' }));
    writeFileSync(
      join(dir, `${String(pid)}.json`),
      JSON.stringify({ pid, startTime: ticks, command: 'sleep' }),
    );
    // A record whose start time does not match must be left alone (pid reuse).
    writeFileSync(
      join(dir, `${String(process.pid)}.json`),
      JSON.stringify({ pid: process.pid, startTime: '1', command: 'x' }),
    );
    const orphanExited = once(orphan, 'exit');
    const reaped = await reapOrphans();
    expect(reaped).toContainEqual({ pid, command: 'sleep', ownerPid: 99999999 });
    expect(reaped.map((r) => r.pid)).not.toContain(process.pid);
    expect(await orphanExited).toEqual([null, 'SIGKILL']);
    expect(existsSync(dir)).toBe(false);
  });
});
