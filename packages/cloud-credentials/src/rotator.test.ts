import { describe, expect, it } from 'vitest';

import { FakeClock, LogRecorder } from '../test/fakes/clock.js';
import { CredentialError } from './errors.js';
import { createRotator } from './rotator.js';

interface Cred {
  readonly expiresAt: Date;
  readonly token: string;
}

const minute = 60_000;

/** An exchange whose answers the test scripts: a lifetime in ms, or an error. */
function scripted(clock: FakeClock, answers: (number | Error)[]) {
  const calls: number[] = [];
  let n = 0;
  const exchange = (): Promise<Cred> => {
    calls.push(clock.now());
    const answer = answers[Math.min(n, answers.length - 1)];
    n += 1;
    if (answer instanceof Error) return Promise.reject(answer);
    const lifetime = answer ?? 60 * minute;
    return Promise.resolve({
      expiresAt: new Date(clock.now() + lifetime),
      token: `secret-token-${String(n)}`,
    });
  };
  return { exchange, calls };
}

function setup(answers: (number | Error)[], sink?: (c: Cred) => void) {
  const clock = new FakeClock(Date.parse('2030-01-01T00:00:00Z'));
  const log = new LogRecorder();
  const written: Cred[] = [];
  const { exchange, calls } = scripted(clock, answers);
  const rotator = createRotator<Cred>({
    name: 'default/policy',
    kind: 'test',
    exchange,
    sink: (c) => {
      sink?.(c);
      written.push(c);
    },
    clock,
    log,
  });
  return { clock, log, written, calls, rotator, start: clock.now() };
}

describe('createRotator', () => {
  it('writes a credential, then refreshes it 5 minutes before it expires', async () => {
    const { clock, written, calls, rotator, start } = setup([60 * minute]);
    rotator.start();
    await rotator.idle();
    expect(written).toHaveLength(1);
    expect(rotator.nextAttemptAt?.getTime()).toBe(start + 55 * minute);

    clock.advance(55 * minute - 1);
    await rotator.idle();
    expect(calls).toHaveLength(1);

    clock.advance(1);
    await rotator.idle();
    expect(calls).toEqual([start, start + 55 * minute]);
    expect(written.map((c) => c.token)).toEqual(['secret-token-1', 'secret-token-2']);
    expect(rotator.current?.token).toBe('secret-token-2');
    await rotator.stop();
  });

  it('refreshes a credential shorter-lived than the window at half its life', async () => {
    const { clock, calls, rotator, start } = setup([4 * minute]);
    rotator.start();
    await rotator.idle();
    expect(rotator.nextAttemptAt?.getTime()).toBe(start + 2 * minute);
    clock.advance(2 * minute);
    await rotator.idle();
    expect(calls).toHaveLength(2);
    await rotator.stop();
  });

  it('retries failures after 1 s, doubling up to 1 minute, and says why in lastError', async () => {
    const down = new CredentialError('unreachable', 'token endpoint: connect ECONNREFUSED');
    const { clock, calls, rotator, start } = setup([...Array<Error>(9).fill(down), 60 * minute]);
    rotator.start();
    await rotator.idle();
    expect(rotator.lastError?.message).toBe('token endpoint: connect ECONNREFUSED');
    expect(rotator.lastError?.code).toBe('unreachable');
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const next = rotator.nextAttemptAt?.getTime() ?? Number.NaN;
      delays.push(next - clock.now());
      clock.advance(next - clock.now());
      await rotator.idle();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(calls).toHaveLength(10);
    expect(calls[1]).toBe(start + 1000);
    // The tenth attempt succeeded: the error is cleared and the next refresh is the normal one.
    expect(rotator.lastError).toBeUndefined();
    expect(rotator.failures).toBe(0);
    expect(rotator.nextAttemptAt?.getTime()).toBe(clock.now() + 55 * minute);
    await rotator.stop();
  });

  it('keeps the current credential while refreshes fail', async () => {
    const { clock, rotator, written } = setup([60 * minute, new Error('HTTP 503')]);
    rotator.start();
    await rotator.idle();
    clock.advance(55 * minute);
    await rotator.idle();
    expect(written).toHaveLength(1);
    expect(rotator.current?.token).toBe('secret-token-1');
    expect(rotator.lastError?.code).toBe('internal');
    expect(rotator.lastError?.message).toBe('HTTP 503');
    await rotator.stop();
  });

  it('treats a credential that is already expired as a failure', async () => {
    const { rotator, written } = setup([0]);
    rotator.start();
    await rotator.idle();
    expect(written).toHaveLength(0);
    expect(rotator.lastError?.code).toBe('expired');
    await rotator.stop();
  });

  it('retries when the sink fails, as for an exchange', async () => {
    let failSink = true;
    const { clock, rotator, written } = setup([60 * minute], () => {
      if (failSink) throw new Error('EACCES: permission denied, open /state/token');
    });
    rotator.start();
    await rotator.idle();
    expect(rotator.lastError?.code).toBe('sink-failed');
    expect(rotator.lastError?.message).toContain('EACCES');
    failSink = false;
    clock.advance(1000);
    await rotator.idle();
    expect(written).toHaveLength(1);
    expect(rotator.lastError).toBeUndefined();
    await rotator.stop();
  });

  it('ready() resolves with the first credential, or rejects on failure when failFast', async () => {
    const ok = setup([60 * minute]);
    const first = ok.rotator.ready();
    ok.rotator.start();
    await expect(first).resolves.toMatchObject({ token: 'secret-token-1' });
    await ok.rotator.stop();

    const failing = setup([new CredentialError('refused', 'invalid_client')]);
    const ready = failing.rotator.ready({ failFast: true });
    failing.rotator.start();
    await expect(ready).rejects.toMatchObject({ code: 'refused', message: 'invalid_client' });
    await failing.rotator.stop();
  });

  it('rotateNow() replaces the credential whatever its expiry', async () => {
    const { calls, rotator } = setup([60 * minute]);
    rotator.start();
    await rotator.idle();
    await rotator.rotateNow();
    expect(calls).toHaveLength(2);
    expect(rotator.current?.token).toBe('secret-token-2');
    await rotator.stop();
  });

  it('stops cleanly: no timer left, a running exchange aborted and not written', async () => {
    const clock = new FakeClock(Date.parse('2030-01-01T00:00:00Z'));
    const written: Cred[] = [];
    let aborted = false;
    const rotator = createRotator<Cred>({
      name: 'default/policy',
      kind: 'test',
      clock,
      exchange: (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
      sink: (c) => {
        written.push(c);
      },
    });
    rotator.start();
    await rotator.stop();
    expect(aborted).toBe(true);
    expect(written).toHaveLength(0);
    expect(clock.pending()).toBe(0);
    expect(rotator.nextAttemptAt).toBeUndefined();
  });

  it('logs kinds and times, never the credential', async () => {
    const secretError = new Error('refused token secret-token-xyz-0123456789abcdefghijklmnop');
    const { clock, log, rotator } = setup([60 * minute, secretError, 60 * minute]);
    rotator.start();
    await rotator.idle();
    clock.advance(55 * minute);
    await rotator.idle();
    clock.advance(1000);
    await rotator.idle();
    const text = log.lines.join('\n');
    expect(log.lines).toHaveLength(3);
    expect(text).toContain('"kind":"test"');
    expect(text).toContain('"expiresAt":"2030-01-01T01:00:00.000Z"');
    expect(text).toContain('credential refresh failed');
    expect(text).not.toContain('secret-token');
    await rotator.stop();
  });
});
