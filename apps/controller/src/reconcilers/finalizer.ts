import type { Kind, KubeObject, ReconcileContext } from '../runtime/contracts.js';
import { finalizer, refOf } from './objects.js';

/**
 * Adds the controller's finalizer when it is missing (a metadata merge patch with the object's
 * `resourceVersion` as precondition, so a concurrent edit of the list is retried, not lost).
 * Returns whether it wrote.
 */
export async function ensureFinalizer(
  context: ReconcileContext,
  kind: Kind,
  object: KubeObject,
): Promise<boolean> {
  const current = object.metadata.finalizers ?? [];
  if (current.includes(finalizer)) return false;
  await context.writer.patchMetadata(
    refOf(kind, object),
    { finalizers: [...current, finalizer] },
    object.metadata.resourceVersion ?? '',
  );
  return true;
}

/** Removes the controller's finalizer (the last step of a deletion); no-op when absent. */
export async function removeFinalizer(
  context: ReconcileContext,
  kind: Kind,
  object: KubeObject,
): Promise<void> {
  const current = object.metadata.finalizers ?? [];
  if (!current.includes(finalizer)) return;
  await context.writer.patchMetadata(
    refOf(kind, object),
    { finalizers: current.filter((f) => f !== finalizer) },
    object.metadata.resourceVersion ?? '',
  );
}
