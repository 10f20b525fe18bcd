import { z } from 'zod';

import { filterConfigVersion } from './version.js';

// Every object and array below is `.readonly()`: zod freezes each level as it parses and the
// inferred types say so, because one parsed config is shared by every request of the extproc.

/** The API schemas a backend can speak, as in the Go `APISchemaName` constants. */
export const backendSchemaNames = [
  'OpenAI',
  'AzureOpenAI',
  'AWSBedrock',
  'GCPVertexAI',
  'GCPAnthropic',
  'AWSAnthropic',
  'Anthropic',
  'Cohere',
] as const;

/** How a cost is computed from a response, as in the Go `LLMRequestCostType` constants. */
export const llmRequestCostTypes = [
  'InputToken',
  'CachedInputToken',
  'CacheCreationInputToken',
  'OutputToken',
  'ReasoningToken',
  'TotalToken',
  'CEL',
] as const;

/**
 * The variables a `CEL` cost expression sees, with their CEL types, as upstream's
 * `internal/llmcostcel`: part of the contract, so the controller type-checks an expression
 * against exactly what the extproc evaluates it with. `backend` is the filterapi backend name,
 * `route_name` the AIGatewayRoute as `namespace/name`; an expression must yield an int or uint.
 */
export const costCelVariables = {
  model: 'string',
  backend: 'string',
  route_name: 'string',
  input_tokens: 'uint',
  cached_input_tokens: 'uint',
  cache_creation_input_tokens: 'uint',
  output_tokens: 'uint',
  total_tokens: 'uint',
  reasoning_tokens: 'uint',
} as const;

/** The keys of {@link BackendAuth}; a backend sets exactly one of them. */
export const backendAuthKinds = [
  'apiKey',
  'azureApiKey',
  'anthropicApiKey',
  'aws',
  'azure',
  'gcp',
] as const;

/** At most this many header `set` entries and, separately, `remove` entries per backend. */
export const maxHeaderMutations = 16;

const nonEmptyString = z.string().min(1, { error: 'must not be empty' });

// RFC 9110 token characters, lower-case only after normalisation; this also rules out
// pseudo-headers such as `:path`, which a header mutation must never touch.
const headerName = z
  .string()
  .toLowerCase()
  .regex(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/, { error: 'not a valid HTTP header name' });

/**
 * Headers a mutation may not set or remove: Envoy owns `host` (and ignores an ext_proc change to
 * it) and the gateway owns `content-length` (it restores it after replacing a body).
 */
export const gatewayOwnedHeaders: readonly string[] = ['host', 'content-length'];

const mutableHeaderName = headerName.refine((name) => !gatewayOwnedHeaders.includes(name), {
  error: (issue) => `${String(issue.input)} is managed by the gateway and cannot be mutated`,
});

/** How `/v1/responses` reaches an OpenAI or Azure OpenAI backend (see the backend schema). */
export const responsesApiModes = ['passthrough', 'chat'] as const;

const versionedApiSchema = z
  .strictObject({
    name: z.enum(backendSchemaNames),
    /** API version where the schema has one, e.g. the Azure OpenAI `api-version`. */
    version: z.string().optional(),
    /** Path prefix for OpenAI- and Anthropic-compatible upstreams (e.g. `v1`). */
    prefix: z.string().optional(),
    /**
     * How `/v1/responses` reaches an OpenAI or Azure OpenAI backend: `passthrough` (absent: the
     * default) or `chat` (translated to chat completions, for OpenAI-compatible servers without
     * the Responses API). Other schemas always get the chat translation.
     */
    responsesApi: z.enum(responsesApiModes).optional(),
  })
  .readonly();

// Every credential comes in two forms: a file the extproc reads (and re-reads when it changes:
// `aigw run`, which keeps credentials out of the document), or the value inlined in the document
// (Kubernetes: the controller writes the whole config into Secrets, as upstream does, so rotating
// a credential is rewriting the config, delivered through the API server). A block sets exactly
// one of the two; the checks below run on an "all optional" shape so that the message says
// which, then the pipe narrows to a union with one member per form.

/** Reports a block that sets none or both of a file field and its inline twin. */
function exactlyOneOf(fileKey: string, inlineKey: string) {
  return (block: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx): void => {
    const isFile = block[fileKey] !== undefined;
    if (isFile !== (block[inlineKey] === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `set exactly one of ${fileKey}|${inlineKey} (got ${isFile ? 'both' : 'none'})`,
      });
    }
  };
}

/** An API key: `file` the extproc reads (trimmed), or the `key` itself (upstream `apiKey.key`). */
const keySourceFields = z
  .strictObject({ file: nonEmptyString.optional(), key: nonEmptyString.optional() })
  .superRefine(exactlyOneOf('file', 'key'));
const keySourceForms = z.union([
  z.strictObject({ file: nonEmptyString }).readonly(),
  z.strictObject({ key: nonEmptyString }).readonly(),
]);
const keySource = keySourceFields.pipe(keySourceForms);

const awsAuthFields = z
  .strictObject({
    /** Path of an AWS shared-credentials (ini) file, default profile. */
    credentialsFile: nonEmptyString.optional(),
    /** The same ini text inlined (upstream `aws.credentialFileLiteral`). */
    credentialFileLiteral: nonEmptyString.optional(),
    region: nonEmptyString,
  })
  .superRefine(exactlyOneOf('credentialsFile', 'credentialFileLiteral'));
const awsAuthForms = z.union([
  z.strictObject({ credentialsFile: nonEmptyString, region: nonEmptyString }).readonly(),
  z.strictObject({ credentialFileLiteral: nonEmptyString, region: nonEmptyString }).readonly(),
]);
const awsAuth = awsAuthFields.pipe(awsAuthForms);

/** An Azure Entra ID access token: `tokenFile`, or the `accessToken` itself (upstream's name). */
const azureAuthFields = z
  .strictObject({
    tokenFile: nonEmptyString.optional(),
    accessToken: nonEmptyString.optional(),
  })
  .superRefine(exactlyOneOf('tokenFile', 'accessToken'));
const azureAuthForms = z.union([
  z.strictObject({ tokenFile: nonEmptyString }).readonly(),
  z.strictObject({ accessToken: nonEmptyString }).readonly(),
]);
const azureAuth = azureAuthFields.pipe(azureAuthForms);

const gcpAuthFields = z
  .strictObject({
    tokenFile: nonEmptyString.optional(),
    accessToken: nonEmptyString.optional(),
    region: nonEmptyString,
    projectName: nonEmptyString,
  })
  .superRefine(exactlyOneOf('tokenFile', 'accessToken'));
const gcpAuthForms = z.union([
  z
    .strictObject({
      tokenFile: nonEmptyString,
      region: nonEmptyString,
      projectName: nonEmptyString,
    })
    .readonly(),
  z
    .strictObject({
      accessToken: nonEmptyString,
      region: nonEmptyString,
      projectName: nonEmptyString,
    })
    .readonly(),
]);
const gcpAuth = gcpAuthFields.pipe(gcpAuthForms);

// What a document may contain: every kind optional, so that unknown keys and "two kinds at
// once" get precise messages instead of zod's generic "no union member matched".
const backendAuthFields = z
  .strictObject({
    apiKey: keySource.optional(),
    azureApiKey: keySource.optional(),
    anthropicApiKey: keySource.optional(),
    aws: awsAuth.optional(),
    azure: azureAuth.optional(),
    gcp: gcpAuth.optional(),
  })
  .superRefine((auth, ctx) => {
    const present = backendAuthKinds.filter((kind) => auth[kind] !== undefined);
    if (present.length === 1) return;
    const got = present.length === 0 ? 'none' : present.join(' and ');
    ctx.addIssue({
      code: 'custom',
      message: `set exactly one of ${backendAuthKinds.join('|')} (got ${got})`,
    });
  });

// What consumers get: a union with one member per kind. The pipe only runs once the fields
// above validated, so exactly one member matches.
const backendAuth = backendAuthFields.pipe(
  z.union([
    z.strictObject({ apiKey: keySourceForms }).readonly(),
    z.strictObject({ azureApiKey: keySourceForms }).readonly(),
    z.strictObject({ anthropicApiKey: keySourceForms }).readonly(),
    z.strictObject({ aws: awsAuthForms }).readonly(),
    z.strictObject({ azure: azureAuthForms }).readonly(),
    z.strictObject({ gcp: gcpAuthForms }).readonly(),
  ]),
);

const headerMutation = z
  .strictObject({
    set: z
      .array(z.strictObject({ name: mutableHeaderName, value: z.string() }).readonly())
      .max(maxHeaderMutations)
      .readonly()
      .optional(),
    remove: z.array(mutableHeaderName).max(maxHeaderMutations).readonly().optional(),
  })
  .readonly();

const jsonLiteral = z.string().refine(isJson, {
  error: "must be a JSON value written as a string, e.g. '\"auto\"', '0.5' or '{\"a\":1}'",
});

const bodyMutation = z
  .strictObject({
    set: z
      .array(z.strictObject({ path: nonEmptyString, value: jsonLiteral }).readonly())
      .max(maxHeaderMutations)
      .readonly()
      .optional(),
    remove: z.array(nonEmptyString).max(maxHeaderMutations).readonly().optional(),
  })
  .readonly();

const backend = z
  .strictObject({
    name: nonEmptyString,
    schema: versionedApiSchema,
    modelNameOverride: z.string().optional(),
    auth: backendAuth.optional(),
    headerMutation: headerMutation.optional(),
    bodyMutation: bodyMutation.optional(),
  })
  .readonly();

const model = z
  .strictObject({
    name: nonEmptyString,
    ownedBy: z.string().default('Envoy AI Gateway'),
    createdAt: z.iso
      .datetime({ offset: true, error: 'expected an RFC 3339 timestamp like 2025-01-31T12:00:00Z' })
      .optional(),
  })
  .readonly();

const llmRequestCost = z
  .strictObject({
    metadataKey: nonEmptyString,
    type: z.enum(llmRequestCostTypes),
    cel: nonEmptyString.optional(),
    routeName: nonEmptyString.optional(),
    backend: nonEmptyString.optional(),
    model: nonEmptyString.optional(),
  })
  .superRefine((cost, ctx) => {
    if (cost.type === 'CEL' && cost.cel === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cel'], message: 'required when type is CEL' });
    } else if (cost.type !== 'CEL' && cost.cel !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cel'],
        message: `only allowed when type is CEL (type is ${cost.type})`,
      });
    }
  })
  .readonly();

/**
 * The filter configuration document: what the controller (or `aigw run`) writes and the extproc
 * reads and hot-reloads. Unknown fields are errors at every level, so a typo cannot silently
 * drop a setting. See the package README for an annotated example.
 *
 * - `version` must equal {@link filterConfigVersion}.
 * - `backends[].name` is unique; so is each `llmRequestCosts[]` (`metadataKey`, `routeName`,
 *   `backend`, `model`) combination (see {@link LLMRequestCost} for which one applies).
 * - `backends[].auth` sets exactly one credential kind, each either a file path or the value
 *   inlined (Kubernetes, where the document is itself a Secret).
 * - `llmRequestCosts[].cel` is set if and only if `type` is `CEL`. A cost whose `routeName`,
 *   `backend` or `model` is set applies only to requests matching every one of those that is set.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/filterapi/filterconfig.go
 */
/**
 * One model-routing rule: requests for any of `models` go to the Envoy cluster `cluster`. A model
 * ending in `*` matches by prefix.
 */
const routeRule = z
  .strictObject({
    models: z.array(nonEmptyString).min(1).readonly(),
    cluster: nonEmptyString,
  })
  .readonly();

/**
 * Optional model routing done by the extproc itself, for gateways whose Envoy routes on a cluster
 * header (`aigw run`): the router level sets `clusterHeader` to the cluster of the first rule
 * that matches the model, and answers an unknown model with a 404 in the client's dialect. So a
 * config edit re-routes models without touching Envoy. Kubernetes gateways leave it out: there,
 * HTTPRoutes match the model header.
 */
const routes = z
  .strictObject({
    clusterHeader: headerName.default('x-ai-eg-cluster'),
    rules: z.array(routeRule).readonly(),
  })
  .readonly();

/**
 * The token estimate of a request, reserved against budgets before it goes upstream: input =
 * UTF-8 bytes of its text / `inputBytesPerToken` (1 = an upper bound for byte-level BPE
 * tokenizers, whose every token is at least one byte), output = the client's `max_tokens` (or
 * `max_completion_tokens`, …) else `defaultOutputTokens`.
 */
/**
 * A token limit whose streams are cut when they pass the budget (docs/budgets.md "Hard budgets:
 * cutting a stream"), named as Envoy's draft `x-ratelimit-limit` header lists it:
 * `<tokens>;w=<windowSeconds>`. `reserves`: the limit reserves the estimate at admission, so the
 * `x-ratelimit-remaining` it reports already excludes the request's own reservation.
 */
const hardTokenLimit = z
  .strictObject({
    tokens: z.int().min(1),
    windowSeconds: z.int().min(1),
    reserves: z.boolean().default(false),
  })
  .readonly();

const tokenReservation = z
  .strictObject({
    defaultOutputTokens: z.int().min(0).max(1_000_000_000).default(4096),
    inputBytesPerToken: z.number().min(1).max(8).default(1),
    /** Limits whose streams are cut at the budget (absent or empty: none; charge-after). */
    hardLimits: z.array(hardTokenLimit).readonly().optional(),
  })
  .readonly();

/** The header the router level sets to the request's model, unless `modelNameHeaderKey` says otherwise. */
export const defaultModelNameHeader = 'x-ai-eg-model';
/** The header the router level sets to a client key's tenant, unless `tenants.tenantHeader` says otherwise. */
export const defaultTenantHeader = 'x-aigw-tenant';

/** What a money budget counts: millionths, thousandths or hundredths of the currency. */
export const budgetUnits = ['micro', 'milli', 'cent'] as const;

/** A SHA-256 digest as 64 lower-case hex digits (what `aigw hash-key` prints). */
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, {
  error: 'must be a SHA-256 digest: 64 lower-case hex digits (aigw hash-key prints one)',
});

/**
 * Client keys (docs/budgets.md "Tenants and money budgets"): the router level hashes the key a
 * client sends (`Authorization: Bearer <key>` or `x-api-key: <key>`) with SHA-256, looks the
 * digest up here, sets `tenantHeader` to the tenant (a rate-limit descriptor), and removes the
 * client's key headers so they never reach a provider. Only digests are stored.
 */
const tenants = z
  .strictObject({
    /** Header the router level sets to the client's tenant (any value the client sent is dropped). */
    tenantHeader: headerName.default(defaultTenantHeader),
    /** Whether a request without a known key is refused (401 in the client's dialect). */
    required: z.boolean().default(true),
    keys: z
      .array(z.strictObject({ tenant: nonEmptyString, sha256: sha256Hex }).readonly())
      .readonly()
      .superRefine(uniqueField('sha256', 'client key digest')),
  })
  .readonly();

/**
 * Prices per 1M tokens in the catalog currency's micro-units (1 USD = 1,000,000), as integers so
 * that money counters stay exact. Each token is priced once: `input` prices the prompt tokens that
 * are neither cache reads nor cache writes, `output` the completion tokens that are not reasoning.
 */
const price = z
  .strictObject({
    input: z.int().min(0),
    cachedInput: z.int().min(0).optional(),
    cacheWrite: z.int().min(0).optional(),
    output: z.int().min(0),
    reasoning: z.int().min(0).optional(),
  })
  .readonly();

/**
 * A price catalog: the router level writes the cost of each finished request as `metadataKey`
 * (in `budgetUnit`s of `currency`, rounded up), which money budgets charge. A model with no price
 * and no `default` is refused before it goes upstream (docs/budgets.md). Prices are always in
 * micro-units; `budgetUnit` only sets what the counters count: the limiter's limits are 32-bit
 * (as envoyproxy/ratelimit's), so a budget in micro-units stops at 4,294 currency units, one in
 * milli-units at 4.29 million.
 */
const prices = z
  .strictObject({
    currency: z.string().regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code such as USD' }),
    metadataKey: nonEmptyString.default('llm_cost'),
    budgetUnit: z.enum(budgetUnits).default('micro'),
    default: price.optional(),
    models: z
      .array(
        z
          .strictObject({
            /** AIServiceBackend `namespace/name`; absent = any backend. */
            backend: nonEmptyString.optional(),
            /** The model sent upstream; a trailing `*` matches by prefix. */
            model: nonEmptyString,
            price,
          })
          .readonly(),
      )
      .readonly(),
  })
  .readonly();

export const FilterConfigSchema = z
  .strictObject({
    // Input is any string (a writer may hold a newer document); the type predicate narrows the
    // output to the literal, so code that compares versions breaks at compile time on a bump.
    version: z.string().refine((v) => v === filterConfigVersion, {
      error: `expected "${filterConfigVersion}"`,
    }),
    /** Identifies one generation of the config; the controller sets a new one on each write. */
    uuid: z.string().optional(),
    /** Envoy dynamic-metadata namespace for `backend_name`, costs and the like. */
    metadataNamespace: nonEmptyString.default('io.envoy.ai_gateway'),
    /** Header the router filter writes the request's model name into, for route matching. */
    modelNameHeaderKey: headerName.default(defaultModelNameHeader),
    backends: z
      .array(backend)
      .readonly()
      .superRefine(uniqueField('name', 'backend name'))
      .prefault([]),
    /** The models `/v1/models` lists. */
    models: z.array(model).readonly().prefault([]),
    /** Model routing by the extproc (standalone gateways); absent in Kubernetes. */
    routes: routes.optional(),
    llmRequestCosts: z.array(llmRequestCost).readonly().superRefine(uniqueCostScope).prefault([]),
    /**
     * How the router level estimates a request's tokens for budgets that reserve at admission
     * (docs/budgets.md); absent = the defaults. The estimate is written for every request.
     */
    tokenReservation: tokenReservation.optional(),
    /** Client keys → tenants (docs/budgets.md); absent = client keys are not checked. */
    tenants: tenants.optional(),
    /** The price catalog of money budgets (docs/budgets.md); absent = no cost in money. */
    prices: prices.optional(),
  })
  .readonly();

/** Client keys → tenants (see the schema). */
export type Tenants = z.output<typeof tenants>;

/** The price catalog (see the schema). */
export type Prices = z.output<typeof prices>;

/** One price of the catalog, per 1M tokens in micro-units (see the schema). */
export type Price = z.output<typeof price>;

/** The extproc's token estimate for reserving budgets (see the schema). */
export type TokenReservation = z.output<typeof tokenReservation>;

/** A token limit whose streams are cut at the budget (see the schema). */
export type HardTokenLimit = z.output<typeof hardTokenLimit>;

/** The extproc's own model routing (see the schema). */
export type Routes = z.output<typeof routes>;

/** A parsed, validated and deeply frozen filter configuration, defaults applied. */
export type FilterConfig = z.output<typeof FilterConfigSchema>;

/** A filter configuration as written (defaults not yet applied); what a writer builds. */
export type FilterConfigInput = z.input<typeof FilterConfigSchema>;

/**
 * One upstream a route rule can send to. `name` is opaque to the contract; the controller uses
 * `<ns>/<backend>/route/<route>/rule/<i>/ref/<j>` so the extproc can report the route and backend.
 * An empty `modelNameOverride` means no override.
 */
export type Backend = z.output<typeof backend>;

/** The API schema of a backend and its optional version and path prefix. */
export type VersionedApiSchema = z.output<typeof versionedApiSchema>;

/** One of {@link backendSchemaNames}. */
export type BackendSchemaName = (typeof backendSchemaNames)[number];

/**
 * How the extproc authenticates to a backend: exactly one kind per backend. Narrow with
 * `'aws' in auth` or switch on {@link authKind}.
 * - `apiKey`: `Authorization: Bearer <key>`; `azureApiKey`: `api-key: <key>`;
 *   `anthropicApiKey`: `x-api-key: <key>` — the key is `key`, or the content of `file`, trimmed.
 * - `aws`: SigV4 with the default profile of the credentials (`credentialsFile` or
 *   `credentialFileLiteral`), in `region`.
 * - `azure`: `Authorization: Bearer <accessToken or the content of tokenFile>`.
 * - `gcp`: the same, and the path names project and region.
 *
 * Credential files are re-read by the extproc, so rotation only rewrites the file; an inline
 * credential rotates with a new config document.
 */
export type BackendAuth = z.output<typeof backendAuth>;

/** One of {@link backendAuthKinds}. */
export type BackendAuthKind = (typeof backendAuthKinds)[number];

/** An API key (`apiKey`, `azureApiKey`, `anthropicApiKey`): a `file`, or the `key` inlined. */
export type KeySourceAuth = z.output<typeof keySource>;

/** An API key kept in a file (the `file` form of {@link KeySourceAuth}). */
export type KeyFileAuth = Extract<KeySourceAuth, { readonly file: string }>;

/** AWS SigV4 credentials (a shared-credentials file, or its text inlined) and region. */
export type AwsAuth = z.output<typeof awsAuth>;

/** An Azure Entra ID access token, in a file or inlined. */
export type AzureAuth = z.output<typeof azureAuth>;

/** A GCP access token (in a file or inlined), plus the Vertex AI region and project. */
export type GcpAuth = z.output<typeof gcpAuth>;

/** Headers set or removed on the upstream request; names are lower-cased on parse. */
export type HeaderMutation = z.output<typeof headerMutation>;

/** Top-level JSON body fields set (value is JSON text) or removed on the upstream request. */
export type BodyMutation = z.output<typeof bodyMutation>;

/** One entry of the `/v1/models` list. */
export type Model = z.output<typeof model>;

/**
 * Where a request's cost is stored in dynamic metadata (`metadataKey`) and how it is computed.
 * With `routeName` (the AIGatewayRoute, `namespace/name`), `backend` (the AIServiceBackend,
 * `namespace/name`) or `model` set, the cost applies only to requests that match all of the set
 * fields; without them it is a global cost that applies to every request.
 *
 * Several costs may share a `metadataKey` with different scopes. For one request, the applying
 * cost with the most scope fields set wins (so a route's cost overrides the global one with the
 * same key, as upstream's route costs override `GatewayConfig.globalLLMRequestCosts`); among equally
 * specific ones, the first in the list.
 */
export type LLMRequestCost = z.output<typeof llmRequestCost>;

/** One of {@link llmRequestCostTypes}. */
export type LLMRequestCostType = (typeof llmRequestCostTypes)[number];

/**
 * Returns which credential kind `auth` carries, for a `switch` over every kind.
 *
 * @throws TypeError if `auth` did not come from {@link FilterConfigSchema} and carries none.
 */
export function authKind(auth: BackendAuth): BackendAuthKind {
  for (const kind of backendAuthKinds) {
    if (kind in auth) return kind;
  }
  throw new TypeError(`backend auth sets none of ${backendAuthKinds.join('|')}`);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Reports a cost that repeats the key and the scope of an earlier one, at `[i].metadataKey`. */
function uniqueCostScope(
  costs: readonly {
    metadataKey: string;
    routeName?: string | undefined;
    backend?: string | undefined;
    model?: string | undefined;
  }[],
  ctx: z.RefinementCtx,
): void {
  const firstIndex = new Map<string, number>();
  costs.forEach((cost, i) => {
    const scope = [cost.routeName, cost.backend, cost.model].map((s) => s ?? '');
    const id = JSON.stringify([cost.metadataKey, ...scope]);
    const first = firstIndex.get(id);
    if (first === undefined) {
      firstIndex.set(id, i);
      return;
    }
    const where = scope.some((s) => s !== '')
      ? ` with the same routeName, backend and model`
      : ' without a scope';
    ctx.addIssue({
      code: 'custom',
      path: [i, 'metadataKey'],
      message: `duplicate metadataKey "${cost.metadataKey}"${where} (first at index ${String(first)})`,
    });
  });
}

/** A refinement reporting the second and later items that repeat `key`, at `[i].key`. */
function uniqueField<K extends string>(key: K, what: string) {
  return (items: readonly Readonly<Record<K, string>>[], ctx: z.RefinementCtx): void => {
    const firstIndex = new Map<string, number>();
    items.forEach((item, i) => {
      const value = item[key];
      const first = firstIndex.get(value);
      if (first === undefined) {
        firstIndex.set(value, i);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: [i, key],
        message: `duplicate ${what} "${value}" (first at index ${first})`,
      });
    });
  };
}
