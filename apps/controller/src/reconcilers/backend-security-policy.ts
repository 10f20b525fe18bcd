import type { KubeObject, ReconcileContext, Reconciler } from '../runtime/contracts.js';
import { ensureFinalizer, removeFinalizer } from './finalizer.js';
import { backendOf, isDeleting, labelOf, policySecrets, policyTargets } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { loaderProblems } from './route-set.js';
import { successMessages, syncStatus } from './status.js';

function enqueueBackends(
  context: ReconcileContext,
  namespace: string,
  names: readonly string[],
): void {
  for (const name of new Set(names)) {
    context.enqueue({ kind: 'AIServiceBackend', namespace, name });
  }
}

/**
 * The policy's own problems, from the loader: its targets (AIServiceBackends in its namespace),
 * its Secrets and the keys they must hold, its credential fields.
 */
function problemsOf(context: ReconcileContext, policy: KubeObject): string[] {
  const namespace = policy.metadata.namespace ?? '';
  const objects: KubeObject[] = [policy];
  for (const name of policyTargets(policy)) {
    const serviceBackend = context.cache.get('AIServiceBackend', namespace, name);
    if (!serviceBackend) continue;
    objects.push(serviceBackend);
    const ref = backendOf(serviceBackend);
    const backend = ref && context.cache.get('Backend', ref.namespace, ref.name);
    if (backend) objects.push(backend);
  }
  for (const key of policySecrets(policy)) {
    const [secretNamespace = '', name = ''] = key.split('/');
    const secret = context.cache.get('Secret', secretNamespace, name);
    if (secret) objects.push(secret);
  }
  const own = `${labelOf('BackendSecurityPolicy', policy)}: `;
  return loaderProblems(objects).filter((p) => p.startsWith(own));
}

/**
 * BackendSecurityPolicy: validated, rotated (when a rotator is configured), then → the
 * AIServiceBackends it targets, also on deletion. A deleted policy's targets are unknown, so
 * every AIServiceBackend of its namespace is queued (cheap: they only re-check and fan out).
 */
export function backendSecurityPolicyReconciler(options: ResolvedOptions): Reconciler {
  return async (ref, context) => {
    const policy = context.cache.get('BackendSecurityPolicy', ref.namespace, ref.name);
    if (!policy) {
      const all = context.cache.list('AIServiceBackend', ref.namespace).map((b) => b.metadata.name);
      enqueueBackends(context, ref.namespace, all);
      return {};
    }
    if (isDeleting(policy)) {
      enqueueBackends(context, ref.namespace, policyTargets(policy));
      await removeFinalizer(context, 'BackendSecurityPolicy', policy);
      return {};
    }
    await ensureFinalizer(context, 'BackendSecurityPolicy', policy);
    const problems = problemsOf(context, policy);
    // The rotation hook: only a valid policy is exchanged for a token.
    const rotation =
      problems.length === 0 && options.rotateCredentials
        ? await options.rotateCredentials(policy, context)
        : undefined;
    if (rotation?.problem !== undefined) problems.push(rotation.problem);
    await syncStatus(
      context,
      { kind: 'BackendSecurityPolicy', object: policy, now: options.now },
      problems.length === 0
        ? { isAccepted: true, message: successMessages.BackendSecurityPolicy }
        : { isAccepted: false, message: problems.join('\n') },
    );
    enqueueBackends(context, ref.namespace, policyTargets(policy));
    return rotation?.requeueAfterMs === undefined
      ? {}
      : { requeueAfterMs: rotation.requeueAfterMs };
  };
}
