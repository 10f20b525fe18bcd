import { loadKubeConfig } from '@aigw/kube-config';
import { createLogger, type Logger, type MainArgs, type Service } from '@aigw/service-kit';
import { buildApp, setServingCert, type WebhookApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { ApiClusterReader } from './kube/cluster-state.js';
import { KubeClient } from './kube/kube-client.js';
import { WebhookMetrics } from './metrics.js';
import { readServingCert, watchServingCert, type ServingCert } from './tls/serving-cert.js';
import { ensureSelfSignedCert, patchCaBundle, serviceSans } from './tls/self-signed.js';

/** A running webhook. */
export interface WebhookService extends Service {
  readonly app: WebhookApp;
  /** The bound port (useful when asked for port 0). */
  readonly port: number;
  /** The CA of the self-signed bootstrap (`--self-signed`), for tests and diagnostics. */
  readonly caPem: string | undefined;
}

interface Tls {
  readonly cert: ServingCert;
  readonly caPem: string | undefined;
  readonly watch?: (onChange: (cert: ServingCert) => void) => { close(): void };
}

/** The serving certificate: the self-signed bootstrap, or the files of `--cert-dir`, watched. */
async function servingTls(config: Config, client: KubeClient, log: Logger): Promise<Tls> {
  if (!config.selfSigned) {
    const cert = await readServingCert(config.certDir);
    return {
      cert,
      caPem: undefined,
      watch: (onChange) =>
        watchServingCert({
          dir: config.certDir,
          current: cert,
          intervalMs: config.certPollMs,
          log,
          onChange,
        }),
    };
  }
  const namespace = config.namespace ?? config.podNamespace ?? client.namespace ?? 'default';
  const self = await ensureSelfSignedCert({
    client,
    namespace,
    secretName: config.certSecretName,
    sans: [...serviceSans(config.serviceName, namespace), ...config.tlsSans],
    now: () => new Date(),
    log,
  });
  if (config.webhookConfigName !== '') {
    const patched = await patchCaBundle(client, config.webhookConfigName, self.caPem);
    if (patched) log.info({ webhookConfig: config.webhookConfigName }, 'caBundle patched');
    else
      log.warn(
        { webhookConfig: config.webhookConfigName },
        'MutatingWebhookConfiguration not found; caBundle not patched',
      );
  }
  return { cert: { cert: self.cert, key: self.key }, caPem: self.caPem };
}

/**
 * Starts the sidecar-injection webhook: HTTPS with `POST /mutate` (AdmissionReview v1),
 * `/healthz`, `/readyz`, `/metrics`. See docs/webhook.md.
 */
export async function main(args: MainArgs): Promise<WebhookService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-webhook',
    level: config.logLevel,
    format: config.logFormat,
  });
  const kube = loadKubeConfig({ path: config.kubeconfig, env: args.env });
  const client = new KubeClient(kube, { timeoutMs: config.apiTimeoutMs });
  const tls = await servingTls(config, client, log);
  const metrics = new WebhookMetrics();
  let ready = false;
  const app = buildApp({
    log,
    cert: tls.cert,
    metrics,
    isReady: () => ready,
    mutate: {
      cluster: new ApiClusterReader({ client, routeCacheTtlMs: config.routeCacheTtlMs }),
      sidecarMode: config.sidecarMode,
      log,
      metrics,
      settings: {
        image: config.extprocImage,
        imagePullPolicy: config.extprocImagePullPolicy,
        imagePullSecrets: config.extprocImagePullSecrets,
        logLevel: config.extprocLogLevel,
        logFormat: config.extprocLogFormat,
        env: config.extprocEnv,
        rootPrefix: config.extprocRootPrefix,
        endpointPrefixes: config.extprocEndpointPrefixes,
        socketPath: config.extprocSocketPath,
        adminPort: config.extprocAdminPort,
      },
    },
  });
  const watcher = tls.watch?.((cert) => {
    setServingCert(app, cert);
    metrics.certificateReloaded();
  });
  await app.listen({ port: config.port, host: config.host });
  ready = true;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port, selfSigned: config.selfSigned, api: kube.toJSON() }, 'webhook listening');
  return {
    app,
    port,
    caPem: tls.caPem,
    close: async () => {
      ready = false;
      watcher?.close();
      await app.close();
      client.close();
    },
  };
}
