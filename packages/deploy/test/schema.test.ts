import { describe, expect, it } from 'vitest';

import { helmTemplateRaw } from '../src/helm.js';
import { chartDir } from '../src/paths.js';
import { findHelm } from '../src/tools.js';

const helm = findHelm(process.env);

/**
 * A bad value and what helm says about it (values.schema.json, or a template `fail`). helm 3.22
 * reports a wrong path for `propertyNames` errors, so those cases match the name and pattern only.
 */
const badValues: [string, Record<string, unknown>, RegExp][] = [
  [
    'unknown top-level key',
    { controler: { replicas: 1 } },
    /additional properties 'controler' not allowed/,
  ],
  [
    'unknown app key',
    { webhook: { replica: 2 } },
    /at '\/webhook': additional properties 'replica' not allowed/,
  ],
  [
    'replicas as a string',
    { controller: { replicas: 'two' } },
    /at '\/controller\/replicas': got string, want integer/,
  ],
  [
    'negative replicas',
    { extensionServer: { replicas: -1 } },
    /at '\/extensionServer\/replicas': minimum: got -1, want 0/,
  ],
  [
    'log level',
    { controller: { logLevel: 'verbose' } },
    /at '\/controller\/logLevel': value must be one of 'trace', 'debug', 'info'/,
  ],
  [
    'TLS mode',
    { webhook: { tls: { mode: 'manual' } } },
    /at '\/webhook\/tls\/mode': value must be one of 'selfSigned', 'certManager'/,
  ],
  [
    'failure policy',
    { webhook: { failurePolicy: 'fail' } },
    /at '\/webhook\/failurePolicy': value must be one of 'Fail', 'Ignore'/,
  ],
  [
    'port out of range',
    { extensionServer: { port: 70000 } },
    /at '\/extensionServer\/port': maximum: got 70,000, want 65,535/,
  ],
  [
    'namespace not a DNS label',
    { controller: { watch: { namespaces: ['Team_A'] } } },
    /at '\/controller\/watch\/namespaces\/0': '[^']*' does not match pattern/,
  ],
  [
    'duplicate watch namespace',
    { controller: { watch: { namespaces: ['a', 'a'] } } },
    /at '\/controller\/watch\/namespaces': items at 0 and 1 are equal/,
  ],
  [
    'image tag with a colon',
    { controller: { image: { repository: 'aigw-controller', tag: 'v1:2' } } },
    /at '\/controller\/image\/tag': '[^']*' does not match pattern/,
  ],
  [
    'empty image repository',
    { webhook: { image: { repository: '' } } },
    /at '\/webhook\/image\/repository': minLength: got 0, want 1/,
  ],
  [
    'Redis URL scheme',
    { ratelimit: { redis: { url: 'http://redis:6379' } } },
    /at '\/ratelimit\/redis\/url': '[^']*' does not match pattern/,
  ],
  [
    'rate-limit config file name',
    { ratelimit: { config: { 'limits.json': '{}' } } },
    /invalid propertyName 'limits.json'\n.*'limits.json' does not match pattern/,
  ],
  [
    'HPA target over 100',
    { ratelimit: { autoscaling: { targetCPUUtilizationPercentage: 150 } } },
    /at '\/ratelimit\/autoscaling\/targetCPUUtilizationPercentage': maximum: got 150, want 100/,
  ],
  [
    'cert-manager issuer kind',
    { webhook: { tls: { certManager: { issuerRef: { name: 'ca', kind: 'Vault' } } } } },
    /at '\/webhook\/tls\/certManager\/issuerRef\/kind': value must be one of 'Issuer', 'ClusterIssuer'/,
  ],
  [
    'extproc env name',
    { extProc: { extraEnv: { 'BAD-NAME': 'x' } } },
    /invalid propertyName 'BAD-NAME'\n.*'BAD-NAME' does not match pattern/,
  ],
  [
    'memory store with two replicas',
    { ratelimit: { replicas: 2 } },
    /ratelimit: more than one replica \(replicas > 1 or autoscaling.enabled\) needs Redis for shared counters/,
  ],
  [
    'memory store with autoscaling',
    { ratelimit: { autoscaling: { enabled: true } } },
    /needs Redis for shared counters: set ratelimit.redis.url or ratelimit.redis.deploy=true/,
  ],
];

describe('values.schema.json and the chart checks', () => {
  it.each(badValues)(
    'rejects %s with a message naming the value',
    async (_name, values, message) => {
      const result = await helmTemplateRaw(helm, chartDir, { values });
      expect(result.code, result.stdout.slice(0, 200)).not.toBe(0);
      expect(result.stderr).toMatch(message);
    },
  );

  it('accepts the values the docs show', async () => {
    const result = await helmTemplateRaw(helm, chartDir, {
      values: {
        global: {
          image: { registry: 'ghcr.io/acme', tag: '0.1.0' },
          imagePullSecrets: ['regcred'],
        },
        controller: { watch: { namespaces: ['team-a'] }, logLevel: 'debug' },
        webhook: {
          tls: {
            mode: 'certManager',
            certManager: { issuerRef: { kind: 'ClusterIssuer', name: 'ca' } },
          },
        },
        ratelimit: {
          replicas: 3,
          redis: { url: 'rediss://redis.example:6380' },
          podDisruptionBudget: { maxUnavailable: '50%' },
        },
        extProc: { extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4317' } },
      },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
