import { describe, expect, it } from 'vitest';

import {
  loadControllerRbac,
  loadExtensionServerRbac,
  loadWebhookRbac,
  type PolicyRule,
} from '../src/app-rbac.js';
import { helmTemplate, type KubeObject } from '../src/helm.js';
import { chartDir } from '../src/paths.js';
import { findHelm } from '../src/tools.js';

const helm = findHelm(process.env);

type Role = KubeObject & { rules?: PolicyRule[] };
type Binding = KubeObject & {
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
};

async function render(values: Record<string, unknown> = {}): Promise<KubeObject[]> {
  return (await helmTemplate(helm, chartDir, { values })).map((r) => r.object);
}

const roleKinds = new Set(['Role', 'ClusterRole']);
const variants: [string, Record<string, unknown>][] = [
  ['defaults', {}],
  ['cert-manager', { webhook: { tls: { mode: 'certManager' } } }],
  ['namespaced', { controller: { watch: { namespaces: ['team-a', 'team-b'] } } }],
  ['namespaced, one namespace', { controller: { watch: { namespaces: ['team-a'] } } }],
  ['with Redis', { ratelimit: { redis: { deploy: true } } }],
];

/** `Kind namespace/name: group resources[names] verbs` per rule: the listing docs/deploy.md explains. */
function listing(roles: readonly Role[]): string[] {
  return roles.flatMap((role) =>
    (role.rules ?? []).map(
      (r) =>
        `${role.kind} ${role.metadata.namespace ?? ''}/${role.metadata.name}: ${r.apiGroups.map((g) => g || 'core').join(',')} ${r.resources.join(',')}${r.resourceNames ? `[${r.resourceNames.join(',')}]` : ''} ${r.verbs.join(',')}`,
    ),
  );
}

describe('RBAC of the chart', () => {
  it.each(variants)(
    '%s: no wildcard, no escalate/bind/impersonate, every binding to its own ServiceAccount',
    async (_name, values) => {
      const objects = await render(values);
      const roles = objects.filter((o): o is Role => roleKinds.has(o.kind));
      const lines = listing(roles);
      expect(lines.length).toBeGreaterThan(0);
      for (const role of roles) {
        for (const rule of role.rules ?? []) {
          const where = `${role.kind} ${role.metadata.name}: ${JSON.stringify(rule)}`;
          expect(rule.verbs, where).not.toContain('*');
          expect(rule.resources, where).not.toContain('*');
          expect(rule.apiGroups, where).not.toContain('*');
          expect(
            rule.verbs.filter((v) => ['escalate', 'bind', 'impersonate'].includes(v)),
            where,
          ).toEqual([]);
          for (const name of rule.resourceNames ?? []) expect(name, where).not.toMatch(/^__/);
        }
      }
      for (const binding of objects.filter((o): o is Binding => o.kind.endsWith('Binding'))) {
        expect(binding.subjects).toEqual([
          {
            kind: 'ServiceAccount',
            namespace: 'aigw-system',
            name: binding.metadata.name.replace(/-leader-election$/, ''),
          },
        ]);
        const role = roles.find(
          (r) =>
            r.kind === binding.roleRef?.kind &&
            r.metadata.name === binding.roleRef.name &&
            (r.kind === 'ClusterRole' || r.metadata.namespace === binding.metadata.namespace),
        );
        expect(
          role,
          `${binding.kind} ${binding.metadata.name} refers to a role the chart renders`,
        ).toBeDefined();
      }
      // The rate limiter has no permission at all.
      expect(lines.filter((l) => l.includes('aigw-ratelimit'))).toEqual([]);
    },
  );

  it('gives the controller exactly controllerRbacObjects() of apps/controller/src/rbac.ts', async () => {
    const { controllerRbacObjects } = await loadControllerRbac();
    const expected = controllerRbacObjects({
      serviceAccount: { namespace: 'aigw-system', name: 'aigw-controller' },
      name: 'aigw-controller',
    });
    const objects = await render();
    const rendered = objects.filter(
      (o) =>
        (roleKinds.has(o.kind) || o.kind.endsWith('Binding')) &&
        o.metadata.name.startsWith('aigw-controller'),
    );
    const strip = (o: KubeObject): unknown => ({
      ...o,
      metadata: Object.fromEntries(Object.entries(o.metadata).filter(([k]) => k !== 'labels')),
    });
    expect(rendered.map(strip)).toEqual(
      expected.map((o) => JSON.parse(JSON.stringify(o)) as unknown),
    );
  });

  it('in namespaced mode gives the controller the same rules as Roles', async () => {
    const { controllerRbacObjects } = await loadControllerRbac();
    const cluster = controllerRbacObjects({
      serviceAccount: { namespace: 'aigw-system', name: 'aigw-controller' },
    })[0];
    const objects = await render({ controller: { watch: { namespaces: ['team-a'] } } });
    const roles = objects.filter(
      (o): o is Role => o.kind === 'Role' && o.metadata.name === 'aigw-controller',
    );
    expect(roles).toHaveLength(2);
    for (const role of roles) expect(role.rules).toEqual(cluster?.rules);
  });

  it.each([
    ['self-signed', {}, true],
    ['cert-manager', { webhook: { tls: { mode: 'certManager' } } }, false],
  ] as const)(
    'gives the webhook (%s) exactly webhookRbacObjects() of apps/webhook/src/rbac.ts',
    async (_name, values, selfSigned) => {
      const { webhookRbacObjects } = await loadWebhookRbac();
      const expected = webhookRbacObjects({
        namespace: 'aigw-system',
        serviceAccount: 'aigw-webhook',
        ...(selfSigned
          ? {
              selfSigned: {
                certSecretName: 'aigw-webhook-tls',
                webhookConfigName: 'aigw-webhook.aigw-system',
              },
            }
          : {}),
      });
      const objects = await render(values);
      const rendered = objects.filter(
        (o) =>
          (roleKinds.has(o.kind) || o.kind.endsWith('Binding')) &&
          o.metadata.name === 'aigw-webhook',
      );
      // Same kinds and rules; the chart names them after the release (the app's default is aigw-webhook).
      expect(
        rendered.map((o) => [o.kind, (o as Role).rules ?? (o as Binding).roleRef?.kind]),
      ).toEqual(
        expected.map((o) => [
          o.kind,
          (o as unknown as Role).rules ?? (o as unknown as Binding).roleRef?.kind,
        ]),
      );
      expect(rendered.flatMap((o) => (o as Binding).subjects ?? [])).toEqual(
        expected.flatMap((o) => (o as unknown as Binding).subjects ?? []),
      );
    },
  );

  it('gives the extension server the read access of its rbac.ts (with token budgets)', async () => {
    const objects = await render();
    const { extensionServerRules } = await loadExtensionServerRbac();
    expect(
      (
        objects.find(
          (o) => o.kind === 'ClusterRole' && o.metadata.name === 'aigw-extension-server',
        ) as Role
      ).rules,
    ).toEqual(extensionServerRules({ budgets: true }));
  });
});
