import { describe, expect, it } from 'vitest';
import {
  controllerClusterRole,
  controllerPolicyRules,
  controllerRbacObjects,
  leaderElectionPolicyRules,
  type PolicyRule,
  type Verb,
} from './rbac.js';
import { successMessages } from './reconcilers/status.js';
import { kindInfo, watchedKinds } from './runtime/contracts.js';

/** Whether `rules` allow `verb` on `group`/`resource` (any name), as the RBAC authorizer decides. */
function allows(
  rules: readonly PolicyRule[],
  request: { group: string; resource: string; verb: Verb; name?: string },
): boolean {
  return rules.some(
    (rule) =>
      rule.apiGroups.includes(request.group) &&
      rule.resources.includes(request.resource) &&
      rule.verbs.includes(request.verb) &&
      (rule.resourceNames === undefined ||
        (request.name !== undefined && rule.resourceNames.includes(request.name))),
  );
}

describe('controller RBAC', () => {
  it.each(watchedKinds)('lets the informers get, list and watch %s in any namespace', (kind) => {
    const { group, plural } = kindInfo[kind];
    for (const verb of ['get', 'list', 'watch'] as const) {
      expect(allows(controllerPolicyRules, { group, resource: plural, verb })).toBe(true);
    }
  });

  it.each(Object.keys(successMessages) as (keyof typeof successMessages)[])(
    'lets the controller patch the status of %s',
    (kind) => {
      const { group, plural } = kindInfo[kind];
      const rule = { group, resource: `${plural}/status` };
      expect(allows(controllerPolicyRules, { ...rule, verb: 'patch' })).toBe(true);
      expect(allows(controllerPolicyRules, { ...rule, verb: 'update' })).toBe(false);
    },
  );

  it.each(['HTTPRoute', 'HTTPRouteFilter', 'Secret'] as const)(
    'lets the controller server-side apply and delete %s (apply of a new object needs create)',
    (kind) => {
      const { group, plural } = kindInfo[kind];
      for (const verb of ['create', 'patch', 'delete'] as const) {
        expect(allows(controllerPolicyRules, { group, resource: plural, verb })).toBe(true);
      }
      expect(allows(controllerPolicyRules, { group, resource: plural, verb: 'update' })).toBe(
        false,
      );
    },
  );

  it('lets it write Roles and RoleBindings (the extproc access) exactly when it watches them', () => {
    const isWatched = (watchedKinds as readonly string[]).includes('Role');
    for (const resource of ['roles', 'rolebindings']) {
      for (const verb of ['create', 'patch', 'delete'] as const) {
        const request = { group: 'rbac.authorization.k8s.io', resource, verb };
        expect(allows(controllerPolicyRules, request)).toBe(isWatched);
      }
      for (const verb of ['bind', 'escalate'] as const) {
        const rules = controllerPolicyRules.filter((r) => r.resources.includes(resource));
        expect(rules.flatMap((r) => r.verbs)).not.toContain(verb);
      }
    }
  });

  it('writes nothing to what it only reads (Gateways, Backends, workloads)', () => {
    for (const kind of [
      'Gateway',
      'ReferenceGrant',
      'Backend',
      'Deployment',
      'DaemonSet',
    ] as const) {
      const { group, plural } = kindInfo[kind];
      for (const verb of ['create', 'update', 'patch', 'delete'] as const) {
        expect(allows(controllerPolicyRules, { group, resource: plural, verb })).toBe(false);
      }
    }
  });

  it('uses no wildcard and no verb the controller never sends', () => {
    const rules = [...controllerPolicyRules, ...leaderElectionPolicyRules()];
    for (const rule of rules) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      expect(rule.verbs).not.toContain('deletecollection');
    }
    expect(controllerClusterRole().rules).toBe(controllerPolicyRules);
  });

  it('limits get and update of Leases to the one Lease; create cannot be limited by name', () => {
    const rules = leaderElectionPolicyRules('my-lease');
    const lease = { group: 'coordination.k8s.io', resource: 'leases' };
    expect(allows(rules, { ...lease, verb: 'get', name: 'my-lease' })).toBe(true);
    expect(allows(rules, { ...lease, verb: 'update', name: 'my-lease' })).toBe(true);
    expect(allows(rules, { ...lease, verb: 'get', name: 'other' })).toBe(false);
    expect(allows(rules, { ...lease, verb: 'create' })).toBe(true);
    expect(allows(rules, { ...lease, verb: 'list' })).toBe(false);
  });

  it('lets it server-side apply only its rate-limit rules ConfigMap, beside the Lease', () => {
    const configMaps = { group: '', resource: 'configmaps' };
    const rules = leaderElectionPolicyRules('my-lease', 'my-rules');
    expect(allows(rules, { ...configMaps, verb: 'patch', name: 'my-rules' })).toBe(true);
    expect(allows(rules, { ...configMaps, verb: 'patch', name: 'other' })).toBe(false);
    // A server-side apply that creates the ConfigMap needs create, which cannot be named.
    expect(allows(rules, { ...configMaps, verb: 'create' })).toBe(true);
    for (const verb of ['get', 'list', 'watch', 'update', 'delete'] as const) {
      expect(allows(rules, { ...configMaps, verb, name: 'my-rules' })).toBe(false);
    }
    expect(
      allows(leaderElectionPolicyRules(), {
        ...configMaps,
        verb: 'patch',
        name: 'aigw-quota-rules',
      }),
    ).toBe(true);
  });

  it('binds the ClusterRole and the Lease Role to the ServiceAccount', () => {
    const serviceAccount = { namespace: 'envoy-ai-gateway-system', name: 'ai-gateway-controller' };
    const [clusterRole, clusterBinding, role, roleBinding] = controllerRbacObjects({
      serviceAccount,
    });
    expect(clusterRole.metadata).toEqual({ name: 'ai-gateway-controller' });
    expect(clusterBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'ai-gateway-controller',
    });
    expect(role.metadata).toEqual({
      name: 'ai-gateway-controller-leader-election',
      namespace: 'envoy-ai-gateway-system',
    });
    expect(role.rules[1]?.resourceNames).toEqual(['envoy-ai-gateway-controller']);
    expect(roleBinding.metadata.namespace).toBe('envoy-ai-gateway-system');
    expect(roleBinding.roleRef.name).toBe(role.metadata.name);
    for (const binding of [clusterBinding, roleBinding]) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', ...serviceAccount }]);
    }
  });
});
