import { dirname } from 'node:path';
import type { GatewayConfigSpec } from '@aigw/api';
import {
  configBundleIndexKey,
  configBundleIndexName,
  configBundlePartKey,
  configBundlePartName,
  configBundlePartPath,
  defaultMaxParts,
} from '@aigw/filterapi';
import type { GatewayRef } from '../kube/cluster-state.js';
import { extprocContainerName } from './should-inject.js';

/** The emptyDir holding the extproc's socket, mounted in the extproc and in `envoy`. */
export const socketVolumeName = 'ai-gateway-extproc-uds';
/** The projected volume of the Gateway's config bundle (index + 8 optional parts). */
export const configVolumeName = 'ai-gateway-extproc-config';
/** The projected service-account token, CA and namespace (the extproc's API identity). */
export const tokenVolumeName = 'ai-gateway-extproc-token';

/** Where the config bundle is mounted (upstream's `-configBundlePath`). */
export const configMountPath = '/etc/filter-config-bundle';
/** Where client libraries look for in-cluster credentials. */
export const tokenMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The container port of the extproc's admin server (upstream's name). */
export const adminPortName = 'aigw-admin';

/** Envoy Gateway runs Envoy as 65532:65532; the extproc shares the uid so Envoy may connect. */
const proxyUid = 65532;

/** A bound token lives an hour (+7 s, the value the API server's own projection uses); the kubelet renews it at 80 %. */
const tokenExpirationSeconds = 3607;

type Json = Record<string, unknown>;

/** The webhook-wide settings of the sidecar (flags). */
export interface SidecarSettings {
  readonly image: string;
  readonly imagePullPolicy: string;
  readonly imagePullSecrets: readonly string[];
  readonly logLevel: string;
  readonly logFormat: string;
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly rootPrefix?: string | undefined;
  readonly endpointPrefixes?: string | undefined;
  readonly socketPath: string;
  /** The extproc's `--admin-port`: the readiness probe's `GET /health` (upstream's 1064). */
  readonly adminPort: number;
}

/** What {@link buildSidecar} needs about one pod. */
export interface SidecarOptions {
  readonly settings: SidecarSettings;
  readonly gateway: GatewayRef;
  /** The pod's namespace: where its config Secrets are. */
  readonly namespace: string;
  readonly gatewayConfig: GatewayConfigSpec | undefined;
  /** A native sidecar (init container, `restartPolicy: Always`) rather than a regular container. */
  readonly native: boolean;
}

/** The pieces added to a pod. */
export interface Sidecar {
  readonly container: Json;
  /** Append to `initContainers` (native sidecar) or to `containers`. */
  readonly native: boolean;
  readonly volumes: readonly Json[];
  /** Added to the `envoy` container. */
  readonly envoyMount: Json;
  readonly imagePullSecrets: readonly string[];
}

/** Native sidecars (KEP-753) are on by default from Kubernetes 1.29 and GA in 1.33; upstream switches at 1.33. */
export function supportsNativeSidecar(version: { major: number; minor: number }): boolean {
  return version.major > 1 || (version.major === 1 && version.minor >= 33);
}

/** The Gateway's config Secret names as a GatewayName for @aigw/filterapi. */
const gatewayName = (g: GatewayRef) => ({ gatewayNamespace: g.namespace, gatewayName: g.name });

/** The projected volume of the bundle: the index and every part slot, all optional. */
function configVolume(gateway: GatewayRef): Json {
  const name = gatewayName(gateway);
  const parts = Array.from({ length: defaultMaxParts }, (_, i) => ({
    secret: {
      name: configBundlePartName(name, i),
      items: [{ key: configBundlePartKey, path: configBundlePartPath(i) }],
      optional: true,
    },
  }));
  return {
    name: configVolumeName,
    projected: {
      sources: [
        {
          secret: {
            name: configBundleIndexName(name),
            items: [{ key: configBundleIndexKey, path: configBundleIndexKey }],
            // Optional: a pod created before the controller wrote the config still starts; its
            // extproc follows the index Secret through the API server (--config-secret).
            optional: true,
          },
        },
        ...parts,
      ],
      defaultMode: 0o644,
    },
  };
}

/** What `automountServiceAccountToken: true` would mount, for the extproc container only. */
function tokenVolume(): Json {
  return {
    name: tokenVolumeName,
    projected: {
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: tokenExpirationSeconds } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
      defaultMode: 0o644,
    },
  };
}

/**
 * The extproc's default environment: a 1 MiB young-generation semi-space (Node's default grows to
 * 16 MiB under load and keeps it). Measured with `pnpm bench`: RSS under load 229 → 114 MiB, peak
 * 340 → 222 MiB, no visible cost in requests per second (docs/performance.md, Memory). The same
 * flag `aigw run` gives its extproc. `--extproc-env` or the GatewayConfig's env replace it by name.
 */
export const defaultExtprocEnv: readonly { readonly name: string; readonly value: string }[] = [
  { name: 'NODE_OPTIONS', value: '--max-semi-space-size=1' },
];

/**
 * The defaults, then the flag env, then the GatewayConfig's: a name given twice keeps its first
 * place and takes the later value.
 */
function mergedEnv(settings: SidecarSettings, config: GatewayConfigSpec | undefined): Json[] {
  const env: Json[] = [];
  const layers: readonly (readonly Json[])[] = [
    defaultExtprocEnv.map((e) => ({ name: e.name, value: e.value })),
    settings.env.map((e) => ({ name: e.name, value: e.value })),
    (config?.extProc?.kubernetes?.env ?? []).map((e) => ({ ...e })),
  ];
  for (const entry of layers.flat()) {
    const at = env.findIndex((x) => x['name'] === entry['name']);
    if (at >= 0) env[at] = entry;
    else env.push(entry);
  }
  return env;
}

const defaultSecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsGroup: proxyUid,
  runAsNonRoot: true,
  runAsUser: proxyUid,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** What a GatewayConfig's `spec.extProc.kubernetes` changes in the container. */
function fromGatewayConfig(config: GatewayConfigSpec | undefined): {
  image: string | undefined;
  resources: unknown;
  volumeMounts: Json[];
  securityContext: Json;
} {
  const spec = config?.extProc?.kubernetes;
  const given = spec?.['securityContext'];
  const mounts = spec?.['volumeMounts'];
  return {
    image: spec?.image,
    resources: spec?.resources,
    volumeMounts: Array.isArray(mounts) ? (mounts as Json[]) : [],
    securityContext:
      typeof given === 'object' && given !== null
        ? { ...defaultSecurityContext, ...(given as Json) }
        : defaultSecurityContext,
  };
}

/** The extproc's arguments: where its socket and config are, and how it follows changes. */
export function extprocArgs(options: SidecarOptions): string[] {
  const { settings } = options;
  return [
    `--address=unix:${settings.socketPath}`,
    `--config=${configMountPath}`,
    `--config-secret=${configBundleIndexName(gatewayName(options.gateway))}`,
    `--config-namespace=${options.namespace}`,
    `--log-level=${settings.logLevel}`,
    `--log-format=${settings.logFormat}`,
    `--admin-port=${String(settings.adminPort)}`,
    ...(settings.rootPrefix === undefined ? [] : [`--root-prefix=${settings.rootPrefix}`]),
    ...(settings.endpointPrefixes === undefined
      ? []
      : [`--endpoint-prefixes=${settings.endpointPrefixes}`]),
  ];
}

/**
 * The extproc sidecar for one Envoy proxy pod (docs/webhook.md "What is injected"): the
 * container, its three volumes (socket emptyDir, config bundle, API token) and the socket mount
 * for `envoy`. GatewayConfig `spec.extProc.kubernetes` sets the image, resources, env (merged
 * over `--extproc-env`), securityContext (merged over the restrictive default) and extra
 * volumeMounts.
 */
export function buildSidecar(options: SidecarOptions): Sidecar {
  const { settings, gatewayConfig } = options;
  const socketDir = dirname(settings.socketPath);
  const custom = fromGatewayConfig(gatewayConfig);
  const container: Json = {
    name: extprocContainerName,
    image: custom.image ?? settings.image,
    imagePullPolicy: settings.imagePullPolicy,
    ports: [{ name: adminPortName, containerPort: settings.adminPort }],
    args: extprocArgs(options),
    env: mergedEnv(settings, gatewayConfig),
    ...(custom.resources === undefined ? {} : { resources: custom.resources }),
    volumeMounts: [
      { name: socketVolumeName, mountPath: socketDir },
      { name: configVolumeName, mountPath: configMountPath, readOnly: true },
      { name: tokenVolumeName, mountPath: tokenMountPath, readOnly: true },
      ...custom.volumeMounts,
    ],
    // Upstream's probe and timings: 200 exactly when the extproc's gRPC health is SERVING.
    readinessProbe: {
      httpGet: { path: '/health', port: settings.adminPort, scheme: 'HTTP' },
      initialDelaySeconds: 2,
      timeoutSeconds: 5,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 1,
    },
    securityContext: custom.securityContext,
    ...(options.native ? { restartPolicy: 'Always' } : {}),
  };
  return {
    container,
    native: options.native,
    volumes: [
      { name: socketVolumeName, emptyDir: {} },
      configVolume(options.gateway),
      tokenVolume(),
    ],
    envoyMount: { name: socketVolumeName, mountPath: socketDir },
    imagePullSecrets: settings.imagePullSecrets,
  };
}
