import { describe, expect, it } from 'vitest';

import { durationMs, envoyDuration } from './duration.js';

describe('durations', () => {
  it.each([
    ['60s', 60_000, '60s'],
    ['1m30s', 90_000, '90s'],
    ['1h', 3_600_000, '3600s'],
    ['500ms', 500, '0.500s'],
    ['1s250ms', 1_250, '1.250s'],
    ['0s', 0, '0s'],
  ])('%s is %d ms, Envoy %s', (text, ms, envoy) => {
    expect(durationMs(text)).toBe(ms);
    expect(envoyDuration(text)).toBe(envoy);
  });

  it.each(['', '1', '1d', 'm', '1.5s'])('%j is not a duration', (text) => {
    expect(durationMs(text)).toBeUndefined();
  });
});
