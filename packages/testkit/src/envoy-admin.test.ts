import { describe, expect, it } from 'vitest';

import { parseListenerPorts, parseStats } from './envoy-admin.js';

describe('parseListenerPorts', () => {
  it('maps listener names to bound ports, and pipe listeners to undefined', () => {
    const json = {
      listener_statuses: [
        {
          name: 'http',
          local_address: { socket_address: { address: '127.0.0.1', port_value: 41691 } },
        },
        { name: 'uds', local_address: { pipe: { path: '/tmp/l.sock' } } },
      ],
    };
    expect([...parseListenerPorts(json)]).toEqual([
      ['http', 41691],
      ['uds', undefined],
    ]);
  });

  it.each([null, {}, { listener_statuses: 'x' }])('yields nothing for %j', (json) => {
    expect(parseListenerPorts(json).size).toBe(0);
  });
});

describe('parseStats', () => {
  it('keeps numeric counters and gauges and skips histograms and text readouts', () => {
    const json = {
      stats: [
        { name: 'cluster.a.upstream_rq_total', value: 3 },
        { name: 'server.version_text', value: 'abc' },
        { histograms: { supported_quantiles: [0.5] } },
      ],
    };
    expect(parseStats(json)).toEqual({ 'cluster.a.upstream_rq_total': 3 });
  });
});
