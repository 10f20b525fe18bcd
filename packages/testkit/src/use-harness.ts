import { afterAll, afterEach } from 'vitest';

import {
  startNodeAgent,
  type NodeAgent,
  type StartNodeAgentOptions,
} from './node-agent/node-agent.js';
import { startEnvoy, type EnvoyProcess, type StartEnvoyOptions } from './start-envoy.js';
import {
  startKubeApiServer,
  type KubeApiServer,
  type StartKubeApiServerOptions,
} from './start-kube.js';
import {
  startFakeUpstream,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type UpstreamHandler,
} from './start-fake-upstream.js';
import { startRedis, type RedisProcess, type StartRedisOptions } from './start-redis.js';
import { removeTempDir, tempDir } from './temp-dir.js';
import { withLogsOnFailure } from './with-logs-on-failure.js';

/** Options for {@link useHarness}. */
export interface HarnessOptions {
  /** Stop everything after each test (`'each'`) or after the enclosing suite (`'all'`, default). */
  readonly cleanup?: 'all' | 'each';
  /** Print the log tail of live resources when a test fails (default true). */
  readonly shouldDumpLogsOnFailure?: boolean;
}

/** Starters whose results are stopped automatically by the vitest hooks {@link useHarness} installs. */
export interface Harness {
  /** {@link startEnvoy}, stopped at cleanup. */
  envoy(options: StartEnvoyOptions): Promise<EnvoyProcess>;
  /** {@link startRedis}, stopped at cleanup. */
  redis(options?: StartRedisOptions): Promise<RedisProcess>;
  /** {@link startKubeApiServer} (etcd + kube-apiserver), stopped at cleanup. */
  kube(options?: StartKubeApiServerOptions): Promise<KubeApiServer>;
  /** {@link startNodeAgent} (pods run as processes; kube-controller-manager), stopped at cleanup. */
  nodeAgent(kube: KubeApiServer, options?: StartNodeAgentOptions): Promise<NodeAgent>;
  /** {@link startFakeUpstream}, closed at cleanup. */
  upstream(handler: UpstreamHandler, options?: FakeUpstreamOptions): Promise<FakeUpstream>;
  /** {@link tempDir}, removed at cleanup. */
  tempDir(prefix?: string): string;
  /** Stops everything started through this harness now (the hooks call it too). */
  stop(): Promise<void>;
}

/**
 * Call at file or `describe` level to get starters whose processes, servers and temp dirs are
 * cleaned up by an `afterAll` (or `afterEach`) hook, with log dumps on failure.
 */
export function useHarness(options: HarnessOptions = {}): Harness {
  const owned: (() => Promise<void>)[] = [];
  const own = async <T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<T> => {
    const started = await starting;
    owned.push(() => started.stop());
    return started;
  };
  const harness: Harness = {
    envoy: (envoyOptions) => own(startEnvoy(envoyOptions)),
    redis: (redisOptions) => own(startRedis(redisOptions)),
    kube: (kubeOptions) => own(startKubeApiServer(kubeOptions)),
    nodeAgent: (kube, agentOptions) => own(startNodeAgent(kube, agentOptions)),
    upstream: (handler, upstreamOptions) => own(startFakeUpstream(handler, upstreamOptions)),
    tempDir: (prefix) => {
      const dir = tempDir(prefix);
      owned.push(() => removeTempDir(dir));
      return dir;
    },
    stop: async () => {
      const stops = owned.splice(0).reverse();
      await Promise.all(stops.map((stop) => stop()));
    },
  };
  const hook = options.cleanup === 'each' ? afterEach : afterAll;
  hook(() => harness.stop());
  if (options.shouldDumpLogsOnFailure !== false) {
    withLogsOnFailure();
  }
  return harness;
}
