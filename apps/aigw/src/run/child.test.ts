import { describe, expect, it } from 'vitest';
import { describeExit, startChild } from './child.js';

function node(script: string, output: (text: string) => void): ReturnType<typeof startChild> {
  return startChild({
    name: 'test',
    command: process.execPath,
    args: ['-e', script],
    env: { PATH: process.env.PATH },
    output,
  });
}

describe('startChild', () => {
  it('streams stdout and stderr line by line with the prefix, including a last partial line', async () => {
    const out: string[] = [];
    const child = await node(
      "process.stdout.write('one\\ntw'); setTimeout(() => { process.stdout.write('o\\n'); process.stderr.write('err'); }, 20)",
      (text) => out.push(text),
    );
    const status = await child.exited;
    expect(status).toEqual({ code: 0, signal: null });
    expect(out.join('').split('\n').sort()).toEqual(['', '[test] err', '[test] one', '[test] two']);
    expect(child.running()).toBe(false);
  });

  it('stops with SIGTERM', async () => {
    const child = await node('setInterval(() => {}, 1000)', () => undefined);
    expect(child.running()).toBe(true);
    const status = await child.stop(5_000);
    expect(describeExit(status)).toBe('signal SIGTERM');
  });

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const out: string[] = [];
    const child = await node(
      "process.on('SIGTERM', () => console.log('ignoring')); console.log('up'); setInterval(() => {}, 1000)",
      (text) => out.push(text),
    );
    while (!out.join('').includes('up')) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    const status = await child.stop(200);
    expect(status.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(out.join('')).toContain('[test] ignoring');
  });

  it('rejects when the program does not exist', async () => {
    await expect(
      startChild({
        name: 'missing',
        command: '/nonexistent/program',
        args: [],
        env: {},
        output: () => undefined,
      }),
    ).rejects.toThrow();
  });
});
