/** Options of {@link webhookRbacObjects}. */
export interface WebhookRbacOptions {
  /** The webhook's namespace (its ServiceAccount's and the self-signed Secret's). */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** `--self-signed`: the Secret it gets or creates and the configuration it patches. */
  readonly selfSigned?: { readonly certSecretName: string; readonly webhookConfigName: string };
}

const rbacGroup = 'rbac.authorization.k8s.io';
const name = 'aigw-webhook';

/**
 * The webhook's permissions (docs/webhook.md "RBAC"): read AIGatewayRoutes (list), Gateways and
 * GatewayConfigs (get) in every namespace; with the self-signed bootstrap, get/create/patch its
 * certificate Secret in its own namespace and get/patch its MutatingWebhookConfiguration. It
 * reads no other Secret: the config Secrets are the extproc's business, not the webhook's.
 */
export function webhookRbacObjects(options: WebhookRbacOptions): Record<string, unknown>[] {
  const subject = {
    kind: 'ServiceAccount',
    name: options.serviceAccount,
    namespace: options.namespace,
  };
  const self = options.selfSigned;
  const clusterRules = [
    { apiGroups: ['aigateway.envoyproxy.io'], resources: ['aigatewayroutes'], verbs: ['list'] },
    { apiGroups: ['aigateway.envoyproxy.io'], resources: ['gatewayconfigs'], verbs: ['get'] },
    { apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways'], verbs: ['get'] },
    ...(self && self.webhookConfigName !== ''
      ? [
          {
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['mutatingwebhookconfigurations'],
            resourceNames: [self.webhookConfigName],
            verbs: ['get', 'patch'],
          },
        ]
      : []),
  ];
  const objects: Record<string, unknown>[] = [
    { apiVersion: `${rbacGroup}/v1`, kind: 'ClusterRole', metadata: { name }, rules: clusterRules },
    {
      apiVersion: `${rbacGroup}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name },
      subjects: [subject],
    },
  ];
  if (self) {
    const metadata = { name, namespace: options.namespace };
    objects.push(
      {
        apiVersion: `${rbacGroup}/v1`,
        kind: 'Role',
        metadata,
        rules: [
          // RBAC cannot restrict `create` by name.
          { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
          {
            apiGroups: [''],
            resources: ['secrets'],
            resourceNames: [self.certSecretName],
            verbs: ['get', 'patch'],
          },
        ],
      },
      {
        apiVersion: `${rbacGroup}/v1`,
        kind: 'RoleBinding',
        metadata,
        roleRef: { apiGroup: rbacGroup, kind: 'Role', name },
        subjects: [subject],
      },
    );
  }
  return objects;
}
