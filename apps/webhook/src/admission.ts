import { z } from 'zod';

// AdmissionReview v1 (admission.k8s.io/v1), the part the webhook reads, and the Pod fields it
// touches. Everything else of the Pod passes through untouched: a JSON patch only adds.

const container = z.looseObject({
  name: z.string().min(1),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).optional(),
});

/** The Pod fields the webhook reads; the rest is kept as given. */
export const PodSchema = z.looseObject({
  metadata: z
    .looseObject({
      name: z.string().optional(),
      generateName: z.string().optional(),
      namespace: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  spec: z.looseObject({
    containers: z.array(container).min(1, 'a pod needs at least one container'),
    initContainers: z.array(container).optional(),
    volumes: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
    imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  }),
});

/** A parsed Pod (see {@link PodSchema}). */
export type Pod = z.output<typeof PodSchema>;

/** The `request` of an AdmissionReview. */
export const AdmissionRequestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: z.looseObject({ group: z.string(), version: z.string(), kind: z.string() }),
  resource: z.looseObject({ group: z.string(), version: z.string(), resource: z.string() }),
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.string(),
  object: z.unknown(),
  dryRun: z.boolean().optional(),
});

/** A parsed AdmissionReview request. */
export type AdmissionRequest = z.output<typeof AdmissionRequestSchema>;

/** The admission API version the webhook speaks (and declares in `admissionReviewVersions`). */
export const admissionApiVersion = 'admission.k8s.io/v1';

/** One RFC 6902 operation; the webhook only adds. */
export interface JsonPatchAdd {
  readonly op: 'add';
  readonly path: string;
  readonly value: unknown;
}

/** What the webhook answers for one request. */
export type AdmissionResult =
  | {
      readonly allowed: true;
      readonly patch?: readonly JsonPatchAdd[];
      readonly warnings?: readonly string[];
    }
  | { readonly allowed: false; readonly code: number; readonly message: string };

/** The AdmissionReview v1 response for `uid`. */
export function admissionResponse(uid: string, result: AdmissionResult): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: result.allowed };
  if (!result.allowed) {
    response['status'] = { code: result.code, message: result.message };
  } else if (result.patch !== undefined && result.patch.length > 0) {
    response['patchType'] = 'JSONPatch';
    response['patch'] = Buffer.from(JSON.stringify(result.patch)).toString('base64');
  }
  if (result.allowed && result.warnings?.length) response['warnings'] = result.warnings;
  return { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response };
}
