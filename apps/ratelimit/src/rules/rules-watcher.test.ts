import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { waitFor } from '@aigw/testkit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isRulesError } from './rules-error.js';
import { RulesWatcher } from './rules-watcher.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'rl-rules-'));
  dirs.push(dir);
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    }),
  );
  const write = (name: string, text: string): void => {
    writeFileSync(join(dir, `.${name}.tmp`), text);
    renameSync(join(dir, `.${name}.tmp`), join(dir, name));
  };
  return { dir, log, lines, write };
}

const limit = (n: number): string =>
  `domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: ${String(n)}}\n`;

describe('RulesWatcher', () => {
  it('loads every *.yaml/*.yml file, skipping dotfiles and other names', async () => {
    const { dir, log, write } = setup();
    write('a.yaml', limit(1));
    write('b.yml', 'domain: e\n');
    write('notes.txt', 'domain: f\n');
    write('.hidden.yaml', 'domain: g\n');
    const watcher = new RulesWatcher({ dir, log });
    await watcher.start();
    watcher.close();
    expect([...watcher.current.domains.keys()]).toEqual(['d', 'e']);
  });

  it('refuses to start on a bad file, naming it', async () => {
    const { dir, log, write } = setup();
    write('bad.yaml', 'domain: d\nfoo: 1\n');
    const watcher = new RulesWatcher({ dir, log });
    const err: unknown = await watcher.start().catch((e: unknown) => e);
    expect(isRulesError(err) && err.message).toBe("bad.yaml: unknown field 'foo'");
  });

  it('hot-reloads a change and keeps the last good config on a bad one', async () => {
    const { dir, log, lines, write } = setup();
    write('a.yaml', limit(1));
    const outcomes: string[] = [];
    const watcher = new RulesWatcher({ dir, log, intervalMs: 50, onLoad: (o) => outcomes.push(o) });
    await watcher.start();
    const limitNow = (): number | undefined =>
      watcher.current.domains.get('d')?.children.get('k')?.limit?.requestsPerUnit;
    write('a.yaml', limit(2));
    await watcher.poll();
    expect(limitNow()).toBe(2);
    write('a.yaml', limit(3).replace('second', 'fortnight'));
    await watcher.poll();
    await watcher.poll();
    expect(limitNow()).toBe(2);
    const errors = lines.filter((line) => line.includes('keeping the last good one'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('a.yaml: descriptors[0].rate_limit.unit: invalid rate limit unit');
    write('a.yaml', limit(4));
    // No poll() here: the watcher's own timer must pick the change up.
    await waitFor(() => limitNow() === 4, {
      timeoutMs: 5000,
      description: 'the polling timer to load requests_per_unit 4',
    });
    watcher.close();
    expect(outcomes).toEqual(['success', 'success', 'error', 'success']);
  });

  it.each([
    { merge: true, outcome: 'merges' },
    { merge: false, outcome: 'refuses' },
  ])('$outcome two files of one domain with mergeDomains: $merge', async ({ merge }) => {
    const { dir, log, write } = setup();
    write('a.yaml', limit(1));
    write('b.yaml', 'domain: d\ndescriptors:\n  - key: other\n');
    const watcher = new RulesWatcher({ dir, log, mergeDomains: merge });
    const started = await watcher.start().then(
      () => 'started',
      (err: unknown) => (isRulesError(err) ? err.message : String(err)),
    );
    watcher.close();
    if (merge) {
      expect(started).toBe('started');
      expect([...(watcher.current.domains.get('d')?.children.keys() ?? [])]).toEqual([
        'k',
        'other',
      ]);
    } else {
      expect(started).toMatch(
        /^b\.yaml: domain: duplicate domain 'd' .*already defined in a\.yaml/,
      );
    }
  });

  it('serves an empty rule set without a directory', async () => {
    const { log } = setup();
    const watcher = new RulesWatcher({ dir: undefined, log });
    await watcher.start();
    expect(watcher.current.domains.size).toBe(0);
  });
});
