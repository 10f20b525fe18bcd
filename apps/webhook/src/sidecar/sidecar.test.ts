import { describe, expect, it } from 'vitest';
import { configSecretNames } from '@aigw/gateway-config';
import {
  buildSidecar,
  defaultExtprocEnv,
  supportsNativeSidecar,
  type SidecarSettings,
} from './sidecar.js';

const settings: SidecarSettings = {
  image: 'aigw-extproc:test',
  imagePullPolicy: 'IfNotPresent',
  imagePullSecrets: [],
  logLevel: 'info',
  logFormat: 'json',
  env: [
    { name: 'A', value: 'from-flag' },
    { name: 'B', value: 'kept' },
  ],
  socketPath: '/etc/ai-gateway-extproc-uds/run.sock',
  adminPort: 1064,
};
const gateway = { namespace: 'team-a', name: 'gw' };

describe('native sidecar switch', () => {
  it.each([
    [1, 28, false],
    [1, 32, false],
    [1, 33, true],
    [1, 36, true],
    [2, 0, true],
  ])('Kubernetes %i.%i → native %s', (major, minor, native) => {
    expect(supportsNativeSidecar({ major, minor })).toBe(native);
  });

  it('a native sidecar is an init container with restartPolicy Always; a regular container has none', () => {
    const native = buildSidecar({
      settings,
      gateway,
      namespace: 'eg',
      gatewayConfig: undefined,
      native: true,
    });
    const regular = buildSidecar({
      settings,
      gateway,
      namespace: 'eg',
      gatewayConfig: undefined,
      native: false,
    });
    expect(native.native).toBe(true);
    expect(native.container['restartPolicy']).toBe('Always');
    expect(regular.native).toBe(false);
    expect(regular.container).not.toHaveProperty('restartPolicy');
  });
});

describe('extproc container', () => {
  it('points the extproc at the socket, the mounted bundle and the index Secret to follow', () => {
    const { container } = buildSidecar({
      settings,
      gateway,
      namespace: 'eg',
      gatewayConfig: undefined,
      native: true,
    });
    expect(container['args']).toEqual([
      '--address=unix:/etc/ai-gateway-extproc-uds/run.sock',
      '--config=/etc/filter-config-bundle',
      '--config-secret=gw-team-a-de5e2a35c2e1',
      '--config-namespace=eg',
      '--log-level=info',
      '--log-format=json',
      '--admin-port=1064',
    ]);
  });

  it("is ready when the extproc's admin server says so: GET :1064/health, upstream's timings", () => {
    const { container } = buildSidecar({
      settings: { ...settings, adminPort: 9064 },
      gateway,
      namespace: 'eg',
      gatewayConfig: undefined,
      native: true,
    });
    expect(container['args']).toContain('--admin-port=9064');
    expect(container['ports']).toEqual([{ name: 'aigw-admin', containerPort: 9064 }]);
    expect(container['readinessProbe']).toEqual({
      httpGet: { path: '/health', port: 9064, scheme: 'HTTP' },
      initialDelaySeconds: 2,
      timeoutSeconds: 5,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 1,
    });
  });

  it('gives the extproc a small young generation by default, replaceable by flag or GatewayConfig', () => {
    const build = (
      env: SidecarSettings['env'],
      configEnv?: { name: string; value: string }[],
    ): unknown =>
      buildSidecar({
        settings: { ...settings, env },
        gateway,
        namespace: 'eg',
        native: true,
        gatewayConfig:
          configEnv === undefined ? undefined : { extProc: { kubernetes: { env: configEnv } } },
      }).container['env'];
    expect(build([])).toEqual(defaultExtprocEnv);
    expect(defaultExtprocEnv).toEqual([{ name: 'NODE_OPTIONS', value: '--max-semi-space-size=1' }]);
    const flag = { name: 'NODE_OPTIONS', value: '--max-semi-space-size=4' };
    expect(build([flag])).toEqual([flag]);
    const fromConfig = { name: 'NODE_OPTIONS', value: '' };
    expect(build([flag], [fromConfig])).toEqual([fromConfig]);
  });

  it('takes image, resources, env and securityContext from the GatewayConfig', () => {
    const { container } = buildSidecar({
      settings,
      gateway,
      namespace: 'eg',
      native: true,
      gatewayConfig: {
        extProc: {
          kubernetes: {
            image: 'registry.test/extproc:v2',
            resources: { requests: { cpu: '50m', memory: '64Mi' } },
            env: [
              { name: 'A', value: 'from-config' },
              { name: 'C', value: 'added' },
            ],
            securityContext: { runAsUser: 1000 },
          },
        },
      },
    });
    expect(container['image']).toBe('registry.test/extproc:v2');
    expect(container['resources']).toEqual({ requests: { cpu: '50m', memory: '64Mi' } });
    expect(container['env']).toEqual([
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=1' },
      { name: 'A', value: 'from-config' },
      { name: 'B', value: 'kept' },
      { name: 'C', value: 'added' },
    ]);
    expect(container['securityContext']).toMatchObject({
      runAsUser: 1000,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });
});

describe('config bundle volume', () => {
  it('projects the index and the 8 part slots the controller writes and the extproc Role allows', () => {
    const { volumes } = buildSidecar({
      settings,
      gateway,
      namespace: 'eg',
      gatewayConfig: undefined,
      native: true,
    });
    const bundle = volumes.find((v) => v['name'] === 'ai-gateway-extproc-config') as {
      projected: {
        sources: {
          secret: { name: string; items: { key: string; path: string }[]; optional: boolean };
        }[];
      };
    };
    const secrets = bundle.projected.sources.map((s) => s.secret);
    const allowed = configSecretNames({ gatewayNamespace: 'team-a', gatewayName: 'gw' });
    expect(secrets.map((s) => s.name)).toEqual(allowed.slice(0, 9));
    expect(secrets[0]?.items).toEqual([{ key: 'index.yaml', path: 'index.yaml' }]);
    expect(secrets[8]?.items).toEqual([{ key: 'chunk', path: 'parts/007' }]);
    expect(secrets.every((s) => s.optional)).toBe(true);
  });
});
