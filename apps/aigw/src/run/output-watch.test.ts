import { describe, expect, it } from 'vitest';
import { OutputWatch } from './output-watch.js';

describe('OutputWatch', () => {
  it('resolves true when the text appears after the wait started', async () => {
    const watch = new OutputWatch();
    const waiting = watch.waitFor('uuid: "abc"', 1_000);
    watch.see('[extproc]     backends: 2\n');
    watch.see('[extproc]     uuid: "abc"\n');
    expect(await waiting).toBe(true);
  });

  it('resolves false after the timeout, and forgets the waiter', async () => {
    const watch = new OutputWatch();
    expect(await watch.waitFor('never', 20)).toBe(false);
    watch.see('never'); // no waiter left to resolve twice
  });

  it('serves several waiters independently', async () => {
    const watch = new OutputWatch();
    const a = watch.waitFor('a-1', 1_000);
    const b = watch.waitFor('b-2', 30);
    watch.see('a-1');
    expect(await a).toBe(true);
    expect(await b).toBe(false);
  });
});
