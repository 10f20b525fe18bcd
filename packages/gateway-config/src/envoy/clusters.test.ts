import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { loadResources } from '../resources.js';
import { buildStandalone, type StandaloneOptions } from '../standalone.js';
import { aiOutlierDetection } from './clusters.js';

const basic = readFileSync(new URL('../testdata/basic.yaml', import.meta.url), 'utf8');
const options: StandaloneOptions = {
  listenPort: 1975,
  adminPort: 9901,
  extprocSocket: '/run/aigw/extproc.sock',
  stateDir: '/var/lib/aigw',
  rateLimit: { host: '127.0.0.1', port: 8081 },
};

type Json = Record<string, unknown>;
const config = buildStandalone(loadResources([{ path: 'in.yaml', text: basic }]), options);
const aiClusters = config.xds['xds/cds.yaml'].resources.map(
  (c) => JSON.parse(JSON.stringify(c)) as Json,
);

describe('AI backend clusters: outlier ejection and retry budget', () => {
  it('gives every AI cluster, with or without a fallback tier, the same outlier detection', () => {
    expect(aiClusters.map((c) => c.name)).toEqual(['default/chat/rule/0', 'default/chat/rule/1']);
    for (const cluster of aiClusters) {
      // Envoy's JSON names, the values docs/resilience.md explains.
      expect(cluster.outlier_detection).toEqual({
        consecutive_5xx: 5,
        consecutive_gateway_failure: 3,
        enforcing_consecutive_gateway_failure: 100,
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: 5,
        enforcing_success_rate: 0,
        interval: '5s',
        base_ejection_time: '10s',
        max_ejection_time: '300s',
        max_ejection_percent: 100,
      });
    }
  });

  it('replaces the default 3 concurrent retries with a retry budget', () => {
    for (const cluster of aiClusters) {
      expect(cluster.circuit_breakers).toEqual({
        thresholds: [
          {
            priority: 'DEFAULT',
            retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: 10 },
          },
        ],
      });
      // A budget overrides max_retries: setting both would only mislead.
      expect(JSON.stringify(cluster.circuit_breakers)).not.toContain('max_retries');
    }
  });

  it('lets a single-host tier be ejected, and brings it back well before a request times out', () => {
    expect(aiOutlierDetection.max_ejection_percent).toBe(100);
    const secondsOf = (d: string): number => Number(d.replace(/s$/, ''));
    const latestReturn =
      secondsOf(aiOutlierDetection.base_ejection_time) + secondsOf(aiOutlierDetection.interval);
    expect(latestReturn).toBeLessThanOrEqual(15);
    expect(secondsOf(aiOutlierDetection.max_ejection_time)).toBeGreaterThan(latestReturn);
  });

  it('leaves the extproc and rate-limit clusters without either', () => {
    const clusters = config.bootstrap.static_resources.clusters;
    expect(clusters.map((c) => c.name)).toEqual(['extproc', 'ratelimit']);
    for (const cluster of clusters) {
      expect(cluster.outlier_detection).toBeUndefined();
      expect(cluster.circuit_breakers).toBeUndefined();
    }
  });
});
