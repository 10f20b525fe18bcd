import { z } from 'zod';

/**
 * zod schemas of the non-AI objects `aigw run` reads: Envoy Gateway `Backend` and
 * `BackendTrafficPolicy` (rate limits only), Gateway API `Gateway`, core `Secret`. Only the fields
 * the generators read are modelled strictly; the rest of each object passes through unchanged (so
 * `aigw translate` can emit it as given).
 */

const port = z.number().int().min(1).max(65535);

/** Kubernetes `ObjectMeta`: name required, everything else kept. */
export const objectMetaSchema = z.looseObject({
  name: z.string().min(1, { error: 'Required value' }),
  namespace: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const fqdnEndpoint = z.strictObject({ hostname: z.string().min(1), port });
const ipEndpoint = z.strictObject({ address: z.string().min(1), port });
const unixEndpoint = z.strictObject({ path: z.string().min(1) });

/** RFC 1123 DNS name, as Envoy Gateway's CRD validates `hostname` (lower case). */
const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    error: 'must be a lower-case DNS name (RFC 1123)',
  });

const backendEndpoint = z
  .looseObject({
    /**
     * Envoy Gateway's optional endpoint host name (for `ip` endpoints above all): the Envoy
     * endpoint's `hostname`, so `auto_host_rewrite` sends it as `Host` and SigV4 signs for it.
     */
    hostname: dnsName.optional(),
    fqdn: fqdnEndpoint.optional(),
    ip: ipEndpoint.optional(),
    unix: unixEndpoint.optional(),
  })
  .superRefine((endpoint, ctx) => {
    const set = (['fqdn', 'ip', 'unix'] as const).filter((k) => endpoint[k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of fqdn, ip, unix' });
    }
  });

/** Envoy Gateway `Backend` (gateway.envoyproxy.io/v1alpha1). */
export const backendSchema = z.looseObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('Backend'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    endpoints: z.array(backendEndpoint).min(1, { error: 'at least one endpoint is required' }),
    appProtocols: z.array(z.string()).optional(),
    tls: z
      .looseObject({
        sni: z.string().min(1).optional(),
        insecureSkipVerify: z.boolean().optional(),
        wellKnownCACertificates: z.literal('System').optional(),
      })
      .optional(),
  }),
});

/** One `Backend` endpoint. */
export type BackendEndpoint = z.output<typeof backendEndpoint>;

/** Envoy Gateway `Backend`, as loaded. */
export type Backend = z.output<typeof backendSchema>;

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Core `Secret` (v1). */
export const secretSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMetaSchema,
  type: z.string().optional(),
  immutable: z.boolean().optional(),
  data: z
    .record(z.string(), z.string().regex(base64, { error: 'must be base64-encoded' }))
    .optional(),
  stringData: z.record(z.string(), z.string()).optional(),
});

/** Core `Secret`, as loaded. */
export type Secret = z.output<typeof secretSchema>;

/** Gateway API `Gateway` (gateway.networking.k8s.io/v1). */
export const gatewaySchema = z.looseObject({
  apiVersion: z.enum(['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1']),
  kind: z.literal('Gateway'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    gatewayClassName: z.string().min(1),
    listeners: z
      .array(z.looseObject({ name: z.string().min(1), port, protocol: z.string().min(1) }))
      .min(1),
  }),
});

/** Gateway API `Gateway`, as loaded. */
export type Gateway = z.output<typeof gatewaySchema>;

const rateLimitUnits = ['Second', 'Minute', 'Hour', 'Day', 'Month', 'Year'] as const;

const headerSelector = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['Exact', 'RegularExpression', 'Distinct']).default('Exact'),
  value: z.string().optional(),
  invert: z.boolean().optional(),
});

const rateLimitCostSpec = z.strictObject({
  from: z.enum(['Number', 'Metadata']),
  number: z.number().int().min(0).optional(),
  metadata: z.strictObject({ namespace: z.string().min(1), key: z.string().min(1) }).optional(),
});

const rateLimitRule = z.strictObject({
  clientSelectors: z
    .array(z.strictObject({ headers: z.array(headerSelector).min(1).optional() }))
    .optional(),
  limit: z.strictObject({ requests: z.number().int().min(0), unit: z.enum(rateLimitUnits) }),
  cost: z
    .strictObject({ request: rateLimitCostSpec.optional(), response: rateLimitCostSpec.optional() })
    .optional(),
  shadowMode: z.boolean().optional(),
});

const targetRef = z.looseObject({
  group: z.string(),
  kind: z.string(),
  name: z.string().min(1),
});

/**
 * Envoy Gateway `BackendTrafficPolicy` (gateway.envoyproxy.io/v1alpha1): only global rate limits
 * are read (the token-budget pattern of upstream's examples); other fields pass through for
 * `aigw translate` and are rejected by `aigw run`.
 */
export const backendTrafficPolicySchema = z.looseObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('BackendTrafficPolicy'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    targetRefs: z.array(targetRef).optional(),
    targetRef: targetRef.optional(),
    rateLimit: z
      .strictObject({
        type: z.literal('Global').optional(),
        global: z.strictObject({ rules: z.array(rateLimitRule).min(1) }),
      })
      .optional(),
  }),
});

/** Envoy Gateway `BackendTrafficPolicy`, as loaded. */
export type BackendTrafficPolicy = z.output<typeof backendTrafficPolicySchema>;

/** One global rate-limit rule of a BackendTrafficPolicy. */
export type RateLimitRule = z.output<typeof rateLimitRule>;

/** Any other object: only apiVersion, kind and metadata.name are required. */
export const otherObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: objectMetaSchema,
});

/** Any other Kubernetes object, passed through by `aigw translate`. */
export type OtherObject = z.output<typeof otherObjectSchema>;
