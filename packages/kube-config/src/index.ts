export { KubeConfigError, isKubeConfigError, type KubeConfigErrorCode } from './errors.js';
export {
  KubeConfig,
  type ApiServerRequestOptions,
  type ClientCertificate,
  type KubeAuth,
  type KubeAuthKind,
  type KubeConfigRuntimeOptions,
  type KubeConfigSpec,
} from './kube-config.js';
export {
  execApiVersions,
  type ExecApiVersion,
  type ExecConfig,
  type ExecCredential,
} from './exec-credential.js';
export { loadKubeConfigFile, type LoadKubeConfigFileOptions } from './kubeconfig-file.js';
export {
  isInCluster,
  loadInClusterConfig,
  resolveServiceAccountDir,
  serviceAccountDir,
  serviceAccountDirEnv,
  type InClusterOptions,
} from './in-cluster.js';
export {
  firstKubeconfigPath,
  loadKubeConfig,
  type LoadKubeConfigOptions,
} from './load-kube-config.js';
export type { Env } from './process-env.js';
