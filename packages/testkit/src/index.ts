export {
  dumpLogs,
  dumpLogsIfFailed,
  type DumpLogsOptions,
  type FailedTestContext,
  type LogSource,
} from './dump-logs.js';
export { adminRequest, parseListenerPorts, parseStats, type AdminMethod } from './envoy-admin.js';
export { isTestkitError, TestkitError, type TestkitErrorCode } from './errors.js';
export { findBinary, type BinaryName } from './find-binary.js';
export { findRepoRoot } from './find-repo-root.js';
export {
  parsePrometheusText,
  type PrometheusFamily,
  type PrometheusSample,
} from './parse-prometheus.js';
export { getFreePort } from './get-free-port.js';
export { jsonResponder } from './json-responder.js';
export {
  applyCrds,
  thirdPartyCrdFiles,
  type ApplyCrdsOptions,
  type ThirdPartyCrdOptions,
} from './kube-crds.js';
export { writeKubeCredentials, type KubeCredentials } from './kube-certs.js';
export {
  kubeRequest,
  type KubeRequestOptions,
  type KubeResponse,
  type KubeTarget,
} from './kube-request.js';
export { jsonLogLines } from './json-log-lines.js';
export { LogBuffer } from './log-buffer.js';
export {
  defaultControllers,
  startControllerManager,
  type StartControllerManagerOptions,
} from './node-agent/controller-manager.js';
export {
  appImages,
  defaultImageRules,
  programFor,
  type ImageProgram,
  type ImageRule,
} from './node-agent/images.js';
export {
  startNodeAgent,
  type NodeAgent,
  type StartNodeAgentOptions,
} from './node-agent/node-agent.js';
export { reapOrphans, type ReapedProcess } from './reap-orphans.js';
export { liveResources, stopAll, type ManagedResource } from './registry.js';
export { RespClient, type RespConnectOptions, type RespTarget } from './resp-client.js';
export { type RespValue } from './resp-parser.js';
export { socketPath } from './socket-path.js';
export {
  spawnManaged,
  type ExitStatus,
  type ManagedProcess,
  type ReadyOptions,
  type ReadyProbe,
  type SpawnManagedOptions,
} from './spawn-managed.js';
export { sseResponder, type SseResponderOptions } from './sse-responder.js';
export { startEnvoy, type EnvoyProcess, type StartEnvoyOptions } from './start-envoy.js';
export {
  envoyGatewayEnvoyVersion,
  findEnvoyGateway,
  startEnvoyGateway,
  type EnvoyGatewayProcess,
  type StartEnvoyGatewayOptions,
} from './start-envoy-gateway.js';
export {
  startEnvoyGatewayOnKube,
  type EnvoyGatewayOnKube,
  type StartEnvoyGatewayOnKubeOptions,
} from './start-envoy-gateway-kube.js';
export {
  startFakeUpstream,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type RecordedRequest,
  type UpstreamHandler,
} from './start-fake-upstream.js';
export {
  kubeconfigYaml,
  startKubeApiServer,
  type KubeApiServer,
  type StartKubeApiServerOptions,
} from './start-kube.js';
export { startRedis, type RedisProcess, type StartRedisOptions } from './start-redis.js';
export {
  staticClusterFor,
  type ClusterTarget,
  type StaticCluster,
  type StaticClusterOptions,
} from './static-cluster-for.js';
export { removeTempDir, tempDir } from './temp-dir.js';
export { useHarness, type Harness, type HarnessOptions } from './use-harness.js';
export { waitFor, type ProbeResult, type WaitForOptions } from './wait-for.js';
export { withLogsOnFailure } from './with-logs-on-failure.js';
export { httpListener, type HttpListenerOptions } from './http-listener.js';
export { TcpProxy } from './tcp-proxy.js';
export {
  findOtelCollector,
  startOtelCollector,
  type OtelCollector,
} from './start-otel-collector.js';
