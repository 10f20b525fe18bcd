import { Writable } from 'node:stream';
import { KubeConfig } from '@aigw/kube-config';
import { waitFor, type KubeApiServer } from '@aigw/testkit';
import { createLogger, type Logger } from '@aigw/service-kit/core';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import type { PolicyRule, RbacBinding, RbacRole } from '../../src/rbac.js';

/** A ServiceAccount's namespace and name. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** The API path of an RBAC object. */
function rbacPath(object: RbacRole | RbacBinding): string {
  const plural = `${object.kind.toLowerCase()}s`;
  const namespace = object.metadata.namespace;
  const scope = namespace === undefined ? '' : `/namespaces/${namespace}`;
  return `/apis/rbac.authorization.k8s.io/v1${scope}/${plural}/${object.metadata.name}`;
}

/** Creates (or replaces, by server-side apply) roles and bindings as the admin. */
export async function applyRbac(
  admin: KubeClient,
  objects: readonly (RbacRole | RbacBinding)[],
): Promise<void> {
  for (const object of objects) {
    await admin.request({
      method: 'PATCH',
      path: rbacPath(object),
      query: { fieldManager: 'rbac-test', force: true },
      body: object,
      contentType: 'application/apply-patch+yaml',
    });
  }
}

/** Creates a ServiceAccount. */
export async function createServiceAccount(
  admin: KubeClient,
  account: ServiceAccountRef,
): Promise<void> {
  await admin.request({
    method: 'POST',
    path: `/api/v1/namespaces/${account.namespace}/serviceaccounts`,
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { ...account } },
  });
}

/** Mints a token for the ServiceAccount with the TokenRequest API (what the kubelet mounts). */
export async function requestToken(admin: KubeClient, account: ServiceAccountRef): Promise<string> {
  const answer = await admin.request<{ status?: { token?: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${account.namespace}/serviceaccounts/${account.name}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  });
  const token = answer.status?.token;
  if (!token) throw new Error(`TokenRequest for ${account.namespace}/${account.name}: no token`);
  return token;
}

/** A kubeconfig for the test API server that authenticates with `token` only (no admin). */
export function kubeConfigForToken(kube: KubeApiServer, token: string): KubeConfig {
  return new KubeConfig({
    server: kube.url,
    ca: kube.caPem,
    auth: { kind: 'token', token },
    namespace: 'default',
    source: 'service-account token',
  });
}

/** One request to authorize: what a SubjectAccessReview asks. */
export interface AccessRequest {
  readonly group: string;
  /** `plural` or `plural/subresource`. */
  readonly resource: string;
  readonly verb: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** Every (group, resource, verb, name) a set of rules grants, as requests to check. */
export function requestsOf(rules: readonly PolicyRule[], namespace?: string): AccessRequest[] {
  return rules.flatMap((rule) =>
    rule.apiGroups.flatMap((group) =>
      rule.resources.flatMap((resource) =>
        rule.verbs.flatMap((verb) =>
          (rule.resourceNames ?? [undefined]).map((name) => ({
            group,
            resource,
            verb,
            ...(namespace === undefined ? {} : { namespace }),
            ...(name === undefined ? {} : { name }),
          })),
        ),
      ),
    ),
  );
}

/** Asks the API server's authorizer (SubjectAccessReview, as the admin) about one request. */
async function isAllowed(
  admin: KubeClient,
  account: ServiceAccountRef,
  request: AccessRequest,
): Promise<boolean> {
  const [resource, subresource] = request.resource.split('/');
  const review = await admin.request<{ status?: { allowed?: boolean } }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${account.namespace}:${account.name}`,
        groups: [
          'system:serviceaccounts',
          `system:serviceaccounts:${account.namespace}`,
          'system:authenticated',
        ],
        resourceAttributes: {
          group: request.group,
          resource,
          ...(subresource === undefined ? {} : { subresource }),
          verb: request.verb,
          ...(request.namespace === undefined ? {} : { namespace: request.namespace }),
          ...(request.name === undefined ? {} : { name: request.name }),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

/**
 * Waits until the API server's RBAC authorizer (which follows roles and bindings through its own
 * informers) allows every request of `allowed` and denies every one of `denied` for the account,
 * so the controller started next never sees a 403 from a binding not yet in effect.
 */
export async function waitForAccess(
  admin: KubeClient,
  account: ServiceAccountRef,
  expected: { allowed: readonly AccessRequest[]; denied?: readonly AccessRequest[] },
): Promise<void> {
  const show = (r: AccessRequest): string =>
    `${r.verb} ${r.group || 'core'}/${r.resource}${r.name === undefined ? '' : `/${r.name}`}`;
  await waitFor(
    async () => {
      const results = await Promise.all([
        ...expected.allowed.map(async (r) => ((await isAllowed(admin, account, r)) ? '' : show(r))),
        ...(expected.denied ?? []).map(async (r) =>
          (await isAllowed(admin, account, r)) ? `not denied: ${show(r)}` : '',
        ),
      ]);
      const pending = results.filter((r) => r !== '');
      // Thrown, so that a timeout names what is still pending.
      if (pending.length > 0) throw new Error(`not in effect yet: ${pending.join(', ')}`);
      return true;
    },
    {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: `RBAC of ${account.namespace}/${account.name} in effect`,
    },
  );
}

/** One JSON log record of the controller. */
export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message?: string; readonly code?: string; readonly status?: number };
  readonly [field: string]: unknown;
}

/** A debug-level logger whose JSON lines are kept in memory, to assert on what was logged. */
export class LogCapture {
  readonly records: LogRecord[] = [];
  readonly log: Logger;
  private partial = '';

  constructor(name = 'controller-rbac-test') {
    const destination = new Writable({
      write: (chunk: Buffer | string, _encoding, callback) => {
        this.partial += chunk.toString();
        let newline = this.partial.indexOf('\n');
        while (newline >= 0) {
          const line = this.partial.slice(0, newline);
          this.partial = this.partial.slice(newline + 1);
          if (line.trim() !== '') this.records.push(JSON.parse(line) as LogRecord);
          newline = this.partial.indexOf('\n');
        }
        callback();
      },
    });
    this.log = createLogger({ name, level: 'debug', format: 'json', destination });
  }

  /** Records that mention a 403 / forbidden answer anywhere (message, error, code). */
  forbidden(): LogRecord[] {
    return this.records.filter((r) => /forbidden|\b403\b/i.test(JSON.stringify(r)));
  }
}
