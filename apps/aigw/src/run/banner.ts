import { defaultAdminPort } from '../config.js';

/** One route line of the banner (the shape of `@aigw/gateway-config`'s summary). */
export interface BannerRoute {
  readonly route: string;
  readonly models: readonly string[];
  readonly backends: readonly string[];
}

/** What the start-up banner shows. */
export interface BannerInput {
  /** `http://localhost:1975`. */
  readonly address: string;
  readonly routes: readonly BannerRoute[];
  /** The files loaded, or empty for the embedded default. */
  readonly files: readonly string[];
  readonly adminPort: number;
  /** Whether the rate limiter runs, and on what store. */
  readonly rateLimit: string | undefined;
  /** Warnings and hints (e.g. which API key to set). */
  readonly notes: readonly string[];
}

const maxModelsShown = 4;

/** A model to use in the curl example: the first literal model name, else a sensible guess. */
export function exampleModel(routes: readonly BannerRoute[]): string {
  for (const route of routes) {
    const literal = route.models.find((model) => /^[\w.:/-]+$/.test(model));
    if (literal !== undefined) return literal;
  }
  return 'gpt-4o-mini';
}

function modelsText(models: readonly string[]): string {
  if (models.length === 0) return 'any model';
  const shown = models.slice(0, maxModelsShown).join(', ');
  return models.length > maxModelsShown
    ? `${shown} (+${String(models.length - maxModelsShown)} more)`
    : shown;
}

/**
 * The one screen `aigw run` prints once everything is ready: where to send requests, which models
 * go where, a curl line to copy, and anything the user must still do.
 */
export function formatBanner(input: BannerInput): string {
  const lines = [
    '',
    `aigw is ready: ${input.address}  (OpenAI-compatible: /v1/chat/completions, /v1/responses, /v1/embeddings, …)`,
    `config: ${input.files.length === 0 ? 'embedded default' : input.files.join(', ')}` +
      (input.files.length === 0 ? '' : ' (edits are applied live)'),
    '',
    'routes:',
    ...(input.routes.length === 0 ? ['  (none)'] : []),
    ...input.routes.map(
      (route) =>
        `  ${modelsText(route.models)}  →  ${route.backends.join(', ')}   [${route.route}]`,
    ),
    '',
    'try it:',
    `  curl -s ${input.address}/v1/chat/completions -H 'content-type: application/json' \\`,
    `    -d '{"model":"${exampleModel(input.routes)}","messages":[{"role":"user","content":"Say hello"}]}'`,
    '',
    `envoy admin: http://127.0.0.1:${String(input.adminPort)}` +
      (input.rateLimit === undefined ? '' : `   rate limiter: ${input.rateLimit}`) +
      '   health: aigw healthcheck' +
      (input.adminPort === defaultAdminPort ? '' : ` --admin-port ${String(input.adminPort)}`),
    ...(input.notes.length === 0 ? [] : ['', ...input.notes.map((note) => `! ${note}`)]),
    'Ctrl-C stops the gateway.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
