import { pathToFileURL } from 'node:url';

import { repoPath } from './paths.js';

/** An `rbac.authorization.k8s.io/v1` PolicyRule. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** A Role, ClusterRole or binding as the apps' rbac.ts build them. */
export interface RbacObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly rules?: readonly PolicyRule[];
  readonly roleRef?: { readonly kind: string; readonly name: string };
  readonly subjects?: readonly {
    readonly kind: string;
    readonly name: string;
    readonly namespace?: string;
  }[];
}

/** What apps/controller/src/rbac.ts exports that the chart renders. */
export interface ControllerRbacModule {
  readonly controllerRbacObjects: (options: {
    serviceAccount: { namespace: string; name: string };
    name?: string;
    leaseNamespace?: string;
    leaseName?: string;
  }) => readonly RbacObject[];
}

/** What apps/webhook/src/rbac.ts exports that the chart renders. */
export interface WebhookRbacModule {
  readonly webhookRbacObjects: (options: {
    namespace: string;
    serviceAccount: string;
    selfSigned?: { certSecretName: string; webhookConfigName: string };
  }) => RbacObject[];
}

/**
 * Loads an app's rbac.ts. The apps are the source of truth of their permissions (their
 * integration tests run them with exactly these rules); the deploy tooling reads them at render
 * and test time only. A computed path, not an import of the app's package: no workspace depends on
 * an app (CONVENTIONS §1), and this package is never deployed.
 */
async function loadAppModule<T>(relativePath: string): Promise<T> {
  return (await import(pathToFileURL(repoPath(relativePath)).href)) as T;
}

export function loadControllerRbac(): Promise<ControllerRbacModule> {
  return loadAppModule<ControllerRbacModule>('apps/controller/src/rbac.ts');
}

export function loadWebhookRbac(): Promise<WebhookRbacModule> {
  return loadAppModule<WebhookRbacModule>('apps/webhook/src/rbac.ts');
}

/** What apps/extension-server/src/rbac.ts exports that the chart renders. */
export interface ExtensionServerRbacModule {
  readonly extensionServerRules: (options?: { budgets?: boolean }) => readonly PolicyRule[];
}

export function loadExtensionServerRbac(): Promise<ExtensionServerRbacModule> {
  return loadAppModule<ExtensionServerRbacModule>('apps/extension-server/src/rbac.ts');
}

/** Placeholders of files/rbac.yaml the chart's `aigw.rbac` helper replaces with its names. */
export const placeholders = {
  leaseName: '__LEASE_NAME__',
  webhookConfigName: '__WEBHOOK_CONFIG_NAME__',
  certSecretName: '__CERT_SECRET_NAME__',
} as const;

/** The rules of files/rbac.yaml, by app. */
export interface ChartRbac {
  readonly controller: {
    readonly rules: readonly PolicyRule[];
    readonly leaderElectionRules: readonly PolicyRule[];
  };
  readonly webhook: {
    readonly clusterRules: readonly PolicyRule[];
    readonly selfSignedClusterRules: readonly PolicyRule[];
    readonly selfSignedRoleRules: readonly PolicyRule[];
  };
  readonly extensionServer: { readonly rules: readonly PolicyRule[] };
}

function rulesOf(
  objects: readonly RbacObject[],
  kind: 'ClusterRole' | 'Role',
): readonly PolicyRule[] {
  const role = objects.find((o) => o.kind === kind);
  return role?.rules ?? [];
}

/** Reads the apps' rbac.ts and returns the rules the chart renders. */
export async function chartRbac(): Promise<ChartRbac> {
  const controller = await loadControllerRbac();
  const webhook = await loadWebhookRbac();
  const extensionServer = await loadExtensionServerRbac();
  const sa = { namespace: 'ns', name: 'sa' };
  const controllerObjects = controller.controllerRbacObjects({
    serviceAccount: sa,
    leaseName: placeholders.leaseName,
  });
  const plain = webhook.webhookRbacObjects({ namespace: 'ns', serviceAccount: 'sa' });
  const selfSigned = webhook.webhookRbacObjects({
    namespace: 'ns',
    serviceAccount: 'sa',
    selfSigned: {
      certSecretName: placeholders.certSecretName,
      webhookConfigName: placeholders.webhookConfigName,
    },
  });
  return {
    controller: {
      rules: rulesOf(controllerObjects, 'ClusterRole'),
      leaderElectionRules: rulesOf(controllerObjects, 'Role'),
    },
    webhook: {
      clusterRules: rulesOf(plain, 'ClusterRole'),
      selfSignedClusterRules: rulesOf(selfSigned, 'ClusterRole'),
      selfSignedRoleRules: rulesOf(selfSigned, 'Role'),
    },
    // With budgets: the chart's grant covers `--ratelimit-address` too.
    extensionServer: { rules: extensionServer.extensionServerRules({ budgets: true }) },
  };
}
