import { z } from 'zod';
import { calendarUnits, isTimeZone } from '../limiter/calendar.js';

/** Rate-limit units of envoyproxy/ratelimit's YAML (case-insensitive there, lower-case here). */
export const unitNames = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year'] as const;

/** A unit name after normalisation. */
export type UnitName = (typeof unitNames)[number];

const maxUint32 = 4_294_967_295;

/**
 * Descriptor keys and values are strings; YAML turns `value: 1234` or `value: true` into other
 * scalars, which envoyproxy/ratelimit (Go, yaml.v2) reads back as strings, so we do too.
 */
const scalarString = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((value) => String(value));

const replacesSchema = z.strictObject({
  name: z.string().min(1, 'should not have an empty replaces entry'),
});

function isUnitName(value: string): value is UnitName {
  return (unitNames as readonly string[]).includes(value);
}

/** A `calendar_time_zone` needs a known IANA zone and a unit of a day or more. */
function checkCalendar(
  limit: { readonly unit?: string | undefined; readonly calendar_time_zone?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  const zone = limit.calendar_time_zone;
  if (zone === undefined) return;
  const unit = limit.unit?.toLowerCase() ?? '';
  if (!(calendarUnits as readonly string[]).includes(unit)) {
    ctx.addIssue({
      code: 'custom',
      path: ['calendar_time_zone'],
      message: `a calendar window needs the unit day, week, month or year, not ${JSON.stringify(limit.unit ?? '')}`,
    });
  }
  if (!isTimeZone(zone)) {
    ctx.addIssue({
      code: 'custom',
      path: ['calendar_time_zone'],
      message: `unknown time zone ${JSON.stringify(zone)}: expected an IANA name such as Europe/Berlin`,
    });
  }
}

/** `rate_limit:` — the limit itself, validated as envoyproxy/ratelimit does, plus a few more rules. */
const rateLimitSchema = z
  .strictObject({
    unit: z.string().optional(),
    requests_per_unit: z
      .number({ error: 'requests_per_unit must be a whole number' })
      .int('requests_per_unit must be a whole number')
      .min(0, 'requests_per_unit must not be negative')
      .max(maxUint32, 'requests_per_unit must fit in 32 bits')
      .optional(),
    unlimited: z.boolean().default(false),
    name: z.string().optional(),
    replaces: z.array(replacesSchema).optional(),
    /**
     * Not envoyproxy/ratelimit's: a calendar window in this IANA time zone (unit day, week,
     * month or year) instead of a fixed one aligned to the epoch (docs/ratelimit.md).
     */
    calendar_time_zone: z.string().optional(),
  })
  .superRefine((limit, ctx) => {
    const unit = limit.unit?.toLowerCase();
    if (limit.unlimited) {
      if (limit.unit !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['unit'],
          message: 'should not specify rate limit unit when unlimited',
        });
      }
    } else if (unit === undefined || !isUnitName(unit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['unit'],
        message: `invalid rate limit unit ${JSON.stringify(limit.unit ?? '')}: expected one of ${unitNames.join(', ')}`,
      });
    } else if (limit.requests_per_unit === undefined) {
      // envoyproxy/ratelimit reads a missing value as 0 (block everything); that is never meant.
      ctx.addIssue({
        code: 'custom',
        path: ['requests_per_unit'],
        message: 'requests_per_unit is required',
      });
    }
    checkCalendar(limit, ctx);
    limit.replaces?.forEach((entry, index) => {
      if (limit.name !== undefined && entry.name === limit.name) {
        ctx.addIssue({
          code: 'custom',
          path: ['replaces', index, 'name'],
          message: 'replaces should not contain name of same descriptor',
        });
      }
    });
  })
  .transform((limit) => ({
    unit: limit.unlimited ? undefined : (limit.unit?.toLowerCase() as UnitName | undefined),
    requestsPerUnit: limit.requests_per_unit ?? 0,
    unlimited: limit.unlimited,
    name: limit.name ?? '',
    replaces: (limit.replaces ?? []).map((entry) => entry.name),
    calendarTimeZone: limit.calendar_time_zone,
  }));

/** A validated `rate_limit` block. */
export type RateLimitSpec = z.output<typeof rateLimitSchema>;

/** A validated descriptor (one level of the tree). */
export interface DescriptorSpec {
  readonly key: string;
  readonly value: string | undefined;
  readonly rate_limit: RateLimitSpec | undefined;
  readonly shadow_mode: boolean;
  readonly quota_mode: boolean;
  readonly detailed_metric: boolean;
  readonly value_to_metric: boolean;
  readonly share_threshold: boolean;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  readonly descriptors: readonly DescriptorSpec[];
}

/** The message for a missing or empty descriptor `key` (envoyproxy/ratelimit's wording). */
export const emptyKeyMessage = 'descriptor has empty key';
/** The message for a missing or empty `domain` (envoyproxy/ratelimit's wording). */
export const emptyDomainMessage = 'config file cannot have empty domain';

const descriptorSchema: z.ZodType<DescriptorSpec> = z.lazy(() =>
  z
    .strictObject({
      // Optional here so that a missing key reads "descriptor has empty key", not a type error.
      key: scalarString.optional(),
      value: scalarString.optional(),
      rate_limit: rateLimitSchema.optional(),
      shadow_mode: z.boolean().default(false),
      quota_mode: z.boolean().default(false),
      detailed_metric: z.boolean().default(false),
      value_to_metric: z.boolean().default(false),
      share_threshold: z.boolean().default(false),
      metadata: z.record(z.string(), z.json()).optional(),
      descriptors: z.array(descriptorSchema).default([]),
    })
    .superRefine((descriptor, ctx) => {
      if (descriptor.key === undefined || descriptor.key === '') {
        ctx.addIssue({ code: 'custom', path: ['key'], message: emptyKeyMessage });
        return;
      }
      const finalKey =
        descriptor.value === undefined || descriptor.value === ''
          ? descriptor.key
          : `${descriptor.key}_${descriptor.value}`;
      if (descriptor.share_threshold && !finalKey.includes('*')) {
        ctx.addIssue({
          code: 'custom',
          path: ['share_threshold'],
          message: `share_threshold can only be used with wildcard values (containing '*'), but found key '${finalKey}'`,
        });
      }
    })
    .transform((descriptor): DescriptorSpec => ({
      ...descriptor,
      key: descriptor.key ?? '',
      value: descriptor.value === '' ? undefined : descriptor.value,
      rate_limit: descriptor.rate_limit,
      metadata: descriptor.metadata,
    })),
);

/**
 * One config file in envoyproxy/ratelimit's YAML format: a domain and its descriptor tree. Every
 * object is strict, so a misspelt field is an error instead of a silently ignored limit. YAML
 * `null` fields (`descriptors:` with nothing after it) are removed before parsing, so they read
 * as absent, as Go's yaml.v2 reads them as zero values.
 */
export const RulesFileSchema = z
  .strictObject({
    domain: scalarString.optional(),
    descriptors: z.array(descriptorSchema).default([]),
  })
  .superRefine((file, ctx) => {
    if (file.domain === undefined || file.domain === '') {
      ctx.addIssue({ code: 'custom', path: ['domain'], message: emptyDomainMessage });
    }
  })
  .transform((file) => ({ domain: file.domain ?? '', descriptors: file.descriptors }));

/** A validated config file. */
export type RulesFile = z.output<typeof RulesFileSchema>;
