/** A gateway config shaped like the e2e one, and the Envoy message flows the tests share. */
import { join } from 'node:path';
import type { FilterConfigInput } from '@aigw/filterapi';
import { backendSchemaNames, hasTranslator, type BackendSchemaName } from '@aigw/translator';
import {
  envoy,
  requestIdOf,
  startTestServer,
  type ProcessStream,
  type TestServer,
  type TestServerOptions,
} from './ext-proc-harness.js';

export const keys = {
  a: 'sk-int-secret-aaaaaaaaaaaa',
  b: 'sk-int-secret-bbbbbbbbbbbbbbbb',
  x: 'sk-int-secret-xxxxxxxx',
  z: 'sk-int-secret-zzzz',
} as const;

/** A key the client sends itself; it must never reach a backend that has its own. */
export const clientKey = 'client-own-key';

export const backends = {
  /** OpenAI, prefix v1, Bearer key a. */
  a: 'default/openai-a/route/r/rule/0/ref/0',
  /** OpenAI, Bearer key b, model name override. */
  b: 'default/openai-b/route/r/rule/1/ref/0',
  /** OpenAI-compatible without a path prefix, `x-api-key` auth. */
  x: 'default/compat-x/route/r/rule/2/ref/0',
  /** OpenAI without auth. */
  open: 'default/open/route/r/rule/3/ref/0',
  /** A schema with no OpenAI chat completions translator (see {@link untranslatedSchema}). */
  untranslated: 'default/untranslated/route/r/rule/4/ref/0',
} as const;

export const files = {
  'key-a': `${keys.a}\n`,
  'key-b': keys.b,
  'key-x': `  ${keys.x}  \n`,
  'key-z': keys.z,
} as const;

/**
 * A backend schema the translator registry cannot serve chat completions for yet, or undefined
 * once every schema has a translator (translators are being added one by one).
 */
export const untranslatedSchema: BackendSchemaName | undefined = backendSchemaNames.find(
  (name) => !hasTranslator({ endpoint: 'chat-completions', schema: { name } }),
);

/** Backends, model routes to two clusters, and one cost of each flavour. */
export function gatewayConfig(dir: string): FilterConfigInput {
  return {
    version: 'v1',
    uuid: 'integration',
    backends: [
      {
        name: backends.a,
        schema: { name: 'OpenAI', prefix: 'v1' },
        auth: { apiKey: { file: join(dir, 'key-a') } },
      },
      {
        name: backends.b,
        schema: { name: 'OpenAI' },
        auth: { apiKey: { file: join(dir, 'key-b') } },
        modelNameOverride: 'gpt-b-2025',
      },
      {
        name: backends.x,
        schema: { name: 'OpenAI', prefix: '' },
        auth: { anthropicApiKey: { file: join(dir, 'key-x') } },
      },
      { name: backends.open, schema: { name: 'OpenAI' } },
      ...(untranslatedSchema === undefined
        ? []
        : [
            {
              name: backends.untranslated,
              schema: { name: untranslatedSchema },
              auth: { apiKey: { file: join(dir, 'key-z') } },
            },
          ]),
    ],
    models: [
      { name: 'gpt-a', createdAt: '2025-01-31T12:00:00Z' },
      { name: 'gpt-b', ownedBy: 'openai' },
    ],
    routes: {
      rules: [
        { models: ['gpt-a'], cluster: 'openai-a' },
        { models: ['gpt-b', 'gpt-b-*'], cluster: 'openai-b' },
        { models: ['claude-*'], cluster: 'anthropic' },
      ],
    },
    llmRequestCosts: [
      { metadataKey: 'weighted_cost', type: 'CEL', cel: 'input_tokens + output_tokens * 4u' },
      {
        metadataKey: 'model_cost',
        type: 'CEL',
        cel: 'model == "gpt-a" ? input_tokens * 2u : output_tokens',
      },
      { metadataKey: 'input_cost', type: 'InputToken' },
      { metadataKey: 'b_total', type: 'TotalToken', backend: backends.b },
    ],
  };
}

/** Starts the extproc with {@link gatewayConfig} (or another config) and the key files. */
export function startGateway(overrides: Partial<TestServerOptions> = {}): Promise<TestServer> {
  return startTestServer({ config: gatewayConfig, files, ...overrides });
}

/** The router stream of one request after its request headers and body. */
export interface RoutedRequest {
  readonly router: ProcessStream;
  readonly id: string;
}

/** Options of {@link routeRequest}. */
export interface RouteOptions {
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Plays the router level's request phase: request_headers, then the buffered request_body;
 * fails unless the body was accepted.
 */
export async function routeRequest(
  gateway: TestServer,
  body: string | object,
  options: RouteOptions = {},
): Promise<RoutedRequest> {
  const router = gateway.open();
  const id = requestIdOf(
    await router.send(envoy.post(options.path ?? '/v1/chat/completions', options.headers)),
  );
  const response = await router.send(envoy.requestBody(body));
  if (response.response?.$case !== 'requestBody') {
    throw new Error(`the router refused the body: ${String(response.response?.$case)}`);
  }
  return { router, id };
}

/** Plays one upstream attempt: a fresh upstream stream's request_headers for `backend`. */
export async function upstreamAttempt(
  gateway: TestServer,
  id: string,
  backend: string,
): Promise<void> {
  const upstream = gateway.open();
  const response = await upstream.send(
    envoy.upstreamHeaders(
      { ':path': '/v1/chat/completions', 'x-ai-eg-internal-req-id': id },
      backend,
    ),
  );
  if (response.response?.$case !== 'requestHeaders') {
    throw new Error(`the upstream attempt failed: ${String(response.response?.$case)}`);
  }
  upstream.end();
  await upstream.status;
}
