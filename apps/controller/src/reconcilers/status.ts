import type { Kind, KubeObject, ReconcileContext } from '../runtime/contracts.js';
import { conditionsOf, refOf } from './objects.js';

/** What a reconcile concluded about an object: its one `Accepted` condition. */
export type Outcome =
  | { readonly isAccepted: true; readonly message: string }
  | { readonly isAccepted: false; readonly message: string };

/** Upstream's success messages, per kind. */
export const successMessages = {
  AIGatewayRoute: 'AI Gateway Route reconciled successfully',
  AIServiceBackend: 'AIServiceBackend reconciled successfully',
  BackendSecurityPolicy: 'BackendSecurityPolicy reconciled successfully',
  GatewayConfig: 'GatewayConfig reconciled successfully',
  QuotaPolicy: 'QuotaPolicy reconciled successfully',
} as const satisfies Partial<Record<Kind, string>>;

/** The kinds whose status the controller writes. */
export type StatusKind = keyof typeof successMessages;

/** metav1.Condition's message limit. */
const maxMessageLength = 32_768;

/**
 * The reasons: upstream's `ReconciliationSucceeded` / `ReconciliationFailed`, except GatewayConfig,
 * whose reason upstream sets to the condition type (`Accepted` / `NotAccepted`).
 */
function reasonOf(kind: StatusKind, isAccepted: boolean): string {
  if (kind === 'GatewayConfig') return isAccepted ? 'Accepted' : 'NotAccepted';
  return isAccepted ? 'ReconciliationSucceeded' : 'ReconciliationFailed';
}

/** RFC 3339 with seconds, as metav1.Time serialises. */
function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function truncated(message: string): string {
  return message.length <= maxMessageLength
    ? message
    : `${message.slice(0, maxMessageLength - 1)}…`;
}

/**
 * Writes the object's status — exactly one condition `Accepted` with `observedGeneration` — with a
 * status merge patch, unless it already says that. `lastTransitionTime` moves only when the
 * condition's status flips (True ↔ False), as metav1 conditions mean it.
 */
export async function syncStatus(
  context: ReconcileContext,
  target: { readonly kind: StatusKind; readonly object: KubeObject; readonly now: () => Date },
  outcome: Outcome,
): Promise<void> {
  const { kind, object } = target;
  const status = outcome.isAccepted ? 'True' : 'False';
  const desired = {
    type: 'Accepted',
    status,
    reason: reasonOf(kind, outcome.isAccepted),
    message: truncated(outcome.message),
    observedGeneration: object.metadata.generation ?? 0,
  };
  const current = conditionsOf(object);
  const [only] = current;
  if (
    current.length === 1 &&
    only !== undefined &&
    Object.entries(desired).every(([key, value]) => only[key] === value) &&
    typeof only.lastTransitionTime === 'string'
  ) {
    return;
  }
  const previous = current.find((c) => c.type === 'Accepted' && c.status === status);
  const lastTransitionTime =
    typeof previous?.lastTransitionTime === 'string'
      ? previous.lastTransitionTime
      : timestamp(target.now());
  await context.writer.patchStatus(refOf(kind, object), {
    conditions: [{ ...desired, lastTransitionTime }],
  });
}
