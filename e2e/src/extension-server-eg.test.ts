import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStandalone, loadResources, substituteEnv } from '@aigw/gateway-config';
import { stringify } from 'yaml';
import {
  getFreePort,
  startEnvoyGateway,
  useHarness,
  waitFor,
  type EnvoyGatewayProcess,
  type FakeUpstream,
  type ManagedProcess,
  type RecordedRequest,
  type UpstreamHandler,
} from '@aigw/testkit';
import {
  aigwTranslate,
  filterConfigOf,
  forEnvoyGateway,
  objectsToYaml,
  parseObjects,
  root,
  startGrpcApp,
  type KubeObject,
} from './support/eg-stack.js';
import { fakeAnthropic } from './support/fake-providers/fake-anthropic.js';
import { fakeBedrock } from './support/fake-providers/fake-bedrock.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';
import { fakeVertex } from './support/fake-providers/fake-vertex.js';

/**
 * The extension server against a real Envoy Gateway (v1.8, File provider, Host infrastructure): the
 * objects `aigw translate` makes of examples/multi-provider.yaml → Envoy Gateway → our hooks →
 * the Envoy it runs → the extproc (its own process, on a Unix socket) → fake providers. Checks
 * Envoy's /config_dump for what the hooks wrote, routes by model with translation and credentials,
 * falls back by priority, and serves an edited route after Envoy Gateway called the hooks again.
 */
const harness = useHarness();

const env = {
  OPENAI_API_KEY: 'sk-eg-e2e-openai-0123456789',
  ANTHROPIC_API_KEY: 'sk-ant-eg-e2e-0123456789',
  AWS_ACCESS_KEY_ID: 'AKIAEGE2E00000000001',
  AWS_SECRET_ACCESS_KEY: 'eg/e2e+secret/KEY0123456789abcdefghijk',
  GCP_ACCESS_TOKEN: 'ya29.eg-e2e-token',
  GCP_PROJECT: 'eg-project',
} as const;

type Provider = 'openai' | 'anthropic' | 'bedrock' | 'vertex';
const usage = { input: 5, output: 3 };
/** Tokens per user and hour for gemini-2.5-flash: three answers of 8 tokens spend it. */
const budgetTokens = 20;

interface Stack {
  fakes: Record<Provider, FakeUpstream>;
  eg: EnvoyGatewayProcess;
  adminUrl: string;
  client: OpenAI;
  extensionServer: ManagedProcess;
  extproc: ManagedProcess;
  ratelimit: ManagedProcess;
  inputFile: string;
  resourcesDir: string;
  filterConfigFile: string;
  gatewayPort: number;
}

/** OpenAI's fake, answering 503 while `failing.value` is true (priority fallback). */
function switchable(handler: UpstreamHandler, failing: { value: boolean }): UpstreamHandler {
  return (req: RecordedRequest, res: ServerResponse) => {
    if (failing.value) {
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"error":{"message":"down"}}');
      return;
    }
    return handler(req, res);
  };
}

const openaiDown = { value: false };

/** examples/multi-provider.yaml with each Backend at its fake, attached to Gateway `aigw`. */
function inputObjects(fakes: Record<Provider, FakeUpstream>, gatewayPort: number): KubeObject[] {
  const text = substituteEnv(
    readFileSync(join(root, 'examples', 'multi-provider.yaml'), 'utf8'),
    env,
  );
  const objects = parseObjects(text).map((o) => {
    if (o.kind === 'AIGatewayRoute') {
      return { ...o, spec: { ...o.spec, parentRefs: [{ name: 'aigw' }] } };
    }
    if (o.kind !== 'Backend') return o;
    const fake = fakes[o.metadata.name as Provider];
    const hostname = (o.spec as { endpoints: { fqdn?: { hostname: string } }[] }).endpoints[0]?.fqdn
      ?.hostname;
    return {
      ...o,
      spec: {
        endpoints: [
          { ip: { address: '127.0.0.1', port: fake.port }, ...(hostname ? { hostname } : {}) },
        ],
      },
    };
  });
  const gateway: KubeObject[] = [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'aigw' },
      spec: {
        controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
        parametersRef: {
          group: 'gateway.envoyproxy.io',
          kind: 'EnvoyProxy',
          name: 'aigw-proxy',
          namespace: 'envoy-gateway-system',
        },
      },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyProxy',
      metadata: { name: 'aigw-proxy', namespace: 'envoy-gateway-system' },
      // Host-mode Envoy would take hot-restart base id 0, which other Envoys here may hold.
      spec: { extraArgs: ['--disable-hot-restart'] },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'aigw', namespace: 'default' },
      spec: {
        gatewayClassName: 'aigw',
        listeners: [{ name: 'http', protocol: 'HTTP', port: gatewayPort }],
      },
    },
  ];
  const budget: KubeObject = {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: { name: 'token-budget', namespace: 'default' },
    spec: {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'aigw' }],
      rateLimit: {
        type: 'Global',
        global: {
          rules: [
            {
              clientSelectors: [
                {
                  headers: [
                    { name: 'x-user-id', type: 'Distinct' },
                    { name: 'x-ai-eg-model', type: 'Exact', value: 'gemini-2.5-flash' },
                  ],
                },
              ],
              limit: { requests: budgetTokens, unit: 'Hour' },
              cost: {
                request: { from: 'Number', number: 0 },
                response: {
                  from: 'Metadata',
                  metadata: { namespace: 'io.envoy.ai_gateway', key: 'llm_total_token' },
                },
              },
            },
          ],
        },
      },
    },
  };
  return [...gateway, ...objects, budget];
}

/** The apps/ratelimit rules of the input's budgets (the same generation as `aigw run`). */
function rateLimitRules(inputFile: string, limiter: { host: string; port: number }): string {
  const resources = loadResources([{ path: inputFile, text: readFileSync(inputFile, 'utf8') }]);
  const config = buildStandalone(resources, {
    listenPort: 1,
    adminPort: 1,
    extprocSocket: '/unused.sock',
    stateDir: '/unused',
    rateLimit: limiter,
  });
  return stringify(config.rateLimitRules);
}

/** Writes `text` to `path` atomically (the watchers never read half a file). */
function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Translates the input file and feeds the result to Envoy Gateway (File provider) and the extproc. */
async function publish(
  stack: Pick<Stack, 'inputFile' | 'resourcesDir' | 'filterConfigFile'>,
): Promise<void> {
  const translated = await aigwTranslate(stack.inputFile);
  writeAtomic(stack.filterConfigFile, filterConfigOf(translated));
  writeAtomic(join(stack.resourcesDir, 'gateway.yaml'), objectsToYaml(forEnvoyGateway(translated)));
}

async function configDump(adminUrl: string): Promise<string> {
  const response = await fetch(new URL('/config_dump?include_eds', adminUrl));
  return response.text();
}

async function startStack(): Promise<Stack> {
  const fakes: Record<Provider, FakeUpstream> = {
    openai: await harness.upstream(
      switchable(
        fakeOpenAI({ apiKey: env.OPENAI_API_KEY, azureApiKey: 'unused', usage }),
        openaiDown,
      ),
      { name: 'fake-openai' },
    ),
    anthropic: await harness.upstream(fakeAnthropic({ apiKey: env.ANTHROPIC_API_KEY, usage }), {
      name: 'fake-anthropic',
    }),
    bedrock: await harness.upstream(
      fakeBedrock({
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          region: 'us-east-1',
        },
        usage,
      }),
      { name: 'fake-bedrock' },
    ),
    vertex: await harness.upstream(
      fakeVertex({
        token: env.GCP_ACCESS_TOKEN,
        project: env.GCP_PROJECT,
        region: 'us-central1',
        usage,
      }),
      { name: 'fake-vertex' },
    ),
  };
  const dir = harness.tempDir('eg-e2e');
  const resourcesDir = join(dir, 'resources');
  mkdirSync(resourcesDir);
  const inputFile = join(dir, 'input.yaml');
  const filterConfigFile = join(dir, 'filter-config.yaml');
  const socket = join(dir, 'extproc.sock');
  const gatewayPort = await getFreePort();
  writeFileSync(inputFile, objectsToYaml(inputObjects(fakes, gatewayPort)));
  await publish({ inputFile, resourcesDir, filterConfigFile });
  const extproc = await startGrpcApp({
    app: 'extproc',
    name: 'extproc',
    healthTarget: `unix:${socket}`,
    args: ['--address', `unix:${socket}`, '--config', filterConfigFile, '--config-poll-ms', '100'],
  });
  const limiterPort = await getFreePort();
  const rulesDir = join(dir, 'ratelimit');
  mkdirSync(rulesDir);
  writeFileSync(
    join(rulesDir, 'rules.yaml'),
    rateLimitRules(inputFile, { host: '127.0.0.1', port: limiterPort }),
  );
  const ratelimit = await startGrpcApp({
    app: 'ratelimit',
    name: 'ratelimit',
    healthTarget: `127.0.0.1:${String(limiterPort)}`,
    args: ['--address', `127.0.0.1:${String(limiterPort)}`, '--config-dir', rulesDir],
  });
  const extPort = await getFreePort();
  const extensionServer = await startGrpcApp({
    app: 'extension-server',
    name: 'extension-server',
    healthTarget: `127.0.0.1:${String(extPort)}`,
    args: [
      '--address',
      `127.0.0.1:${String(extPort)}`,
      '--routes',
      inputFile,
      '--uds-path',
      socket,
      '--ratelimit-address',
      `127.0.0.1:${String(limiterPort)}`,
      '--log-level',
      'debug',
    ],
  });
  const eg = await startEnvoyGateway({
    resourcesDir,
    extensionServer: { host: '127.0.0.1', port: extPort },
  });
  const adminUrl = await eg.envoyAdminUrl({ timeoutMs: 120_000 });
  const client = new OpenAI({
    baseURL: `http://127.0.0.1:${String(gatewayPort)}/v1`,
    apiKey: 'client',
    maxRetries: 0,
  });
  return {
    fakes,
    eg,
    adminUrl,
    client,
    extensionServer,
    extproc,
    ratelimit,
    inputFile,
    resourcesDir,
    filterConfigFile,
    gatewayPort,
  };
}

describe('extension server with a real Envoy Gateway (File provider, Host infrastructure)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
    // Envoy has the Gateway's listener and our UDS cluster once the first translation went through the hooks.
    await waitFor(
      async () => (await configDump(stack.adminUrl)).includes('ai-gateway-extproc-uds'),
      {
        timeoutMs: 60_000,
        description: 'the ai-gateway-extproc-uds cluster in /config_dump',
      },
    );
  }, 600_000);

  afterAll(async () => {
    // Undefined when beforeAll failed; the harness still kills what it started.
    const started = stack as Stack | undefined;
    await started?.eg.stop();
    await started?.extensionServer.stop();
    await started?.extproc.stop();
    await started?.ratelimit.stop();
  });

  it('shows the hooks’ work in /config_dump: filters, metadata, priorities', async () => {
    const dump = await configDump(stack.adminUrl);
    expect(dump).toContain('envoy.filters.http.ext_proc/aigateway');
    expect(dump).toContain('envoy.filters.http.header_mutation');
    expect(dump).toContain(
      '"per_route_rule_backend_name": "default/openai/route/multi-provider/rule/0/ref/0"',
    );
    expect(dump).toContain(
      '"per_route_rule_backend_name": "default/anthropic/route/multi-provider/rule/0/ref/1"',
    );
    expect(dump).toContain('"aigw_route_name": "default/multi-provider"');
    expect(dump).toMatch(/"priority": 1/);
    expect(dump).toContain('envoy.filters.http.ratelimit/ai-gateway-quota');
    expect(dump).toContain('ai_gateway_ratelimit_cluster');
  });

  it.each([
    ['gpt-4o-mini', 'openai'],
    ['claude-sonnet-4-5', 'anthropic'],
    ['llama3-2-1b', 'bedrock'],
    ['gemini-2.5-flash', 'vertex'],
  ] as const)(
    'answers %s from %s, translated and with its credentials',
    async (model, provider) => {
      const before = stack.fakes[provider].requests.length;
      const completion = await stack.client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: `hello ${provider}` }],
      });
      expect(completion.choices[0]?.message.content).toContain(`hello ${provider}`);
      expect(stack.fakes[provider].requests.length).toBe(before + 1);
    },
  );

  it('falls back to the priority 1 backend when the first one fails', async () => {
    openaiDown.value = true;
    try {
      const before = stack.fakes.anthropic.requests.length;
      const completion = await stack.client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'fallback please' }],
      });
      expect(completion.choices[0]?.message.content).toContain('fallback please');
      expect(stack.fakes.anthropic.requests.length).toBe(before + 1);
      expect(stack.fakes.anthropic.requests.at(-1)?.headers['x-api-key']).toBe(
        env.ANTHROPIC_API_KEY,
      );
    } finally {
      openaiDown.value = false;
    }
  });

  it('answers 429 once a user spends the token budget (apps/ratelimit)', async () => {
    const ask = (user: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${String(stack.gatewayPort)}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': user },
        body: JSON.stringify({
          model: 'gemini-2.5-flash',
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
    const user = `user-${String(Date.now())}`;
    let answered = 0;
    // Each answer is charged its 8 tokens when its stream ends, after the client has it: ask
    // until the limiter refuses, which it must do once 20 tokens are spent.
    const refused = await waitFor(
      async () => {
        const response = await ask(user);
        const body = await response.text();
        if (response.status === 429) return { response, body };
        expect(response.status).toBe(200);
        answered += 1;
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: 'a 429 for a user over budget' },
    );
    expect(refused.response.status).toBe(429);
    // The HCM's local_reply_config (as `aigw run`'s): an OpenAI error, not Envoy's bare 429.
    expect(refused.response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(refused.body)).toEqual({
      error: { message: 'rate limit exceeded', type: 'rate_limit_error', param: null, code: null },
    });
    // The router-level extproc removes the marker of a mapped local reply.
    expect(refused.response.headers.get('x-aigw-local-reply')).toBeNull();
    // The budget in OpenAI's headers (Envoy's draft headers rewritten by the extproc).
    expect(refused.response.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(refused.response.headers.get('x-ratelimit-limit-tokens')).toBe(String(budgetTokens));
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answered).toBeGreaterThanOrEqual(Math.ceil(budgetTokens / (usage.input + usage.output)));
    // Another user still has a budget.
    expect((await ask(`${user}-other`)).status).toBe(200);
  });

  it('keeps the last good xDS when a hook fails, and recovers', async () => {
    const good = readFileSync(stack.inputFile, 'utf8');
    const gatewayFile = join(stack.resourcesDir, 'gateway.yaml');
    const published = readFileSync(gatewayFile, 'utf8');
    const skipped = (): number =>
      stack.eg.logs().split('skipped publishing xds resources').length - 1;
    const before = skipped();
    // A route the extension server cannot read, then a change that makes Envoy Gateway translate.
    writeAtomic(
      stack.inputFile,
      `${good}---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: { name: broken, namespace: default }\nspec: { rules: 3 }\n`,
    );
    // An HTTPRoute of its own, so that the change reaches the xDS translation (and the hooks).
    const probe = [
      {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'Backend',
        metadata: { name: 'probe', namespace: 'default' },
        spec: { endpoints: [{ ip: { address: '127.0.0.1', port: 9 } }] },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'probe', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'aigw' }],
          hostnames: ['probe.example.com'],
          rules: [
            { backendRefs: [{ group: 'gateway.envoyproxy.io', kind: 'Backend', name: 'probe' }] },
          ],
        },
      },
    ];
    try {
      writeAtomic(gatewayFile, `${published}---\n${objectsToYaml(probe)}`);
      await waitFor(() => skipped() > before, {
        timeoutMs: 60_000,
        description: 'Envoy Gateway to skip publishing after the hook error',
      });
      expect(stack.eg.logs()).toContain('invalid AIGatewayRoute');
      // Envoy still has the last good xDS (no probe route) and serves with it.
      expect(await configDump(stack.adminUrl)).not.toContain('httproute/default/probe/rule/0');
      const completion = await stack.client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'still served' }],
      });
      expect(completion.choices[0]?.message.content).toContain('still served');
    } finally {
      writeAtomic(stack.inputFile, good);
      await publish(stack);
    }
  });

  it('serves an edited route after Envoy Gateway calls the hooks again', async () => {
    const objects = parseObjects(readFileSync(stack.inputFile, 'utf8')).map((o) => {
      if (o.kind !== 'AIGatewayRoute') return o;
      const spec = o.spec as { rules: unknown[] };
      const rule = {
        matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'gpt-edited' }] }],
        backendRefs: [{ name: 'openai' }],
      };
      return { ...o, spec: { ...spec, rules: [...spec.rules, rule] } };
    });
    writeAtomic(stack.inputFile, objectsToYaml(objects));
    await publish(stack);
    await waitFor(
      async () =>
        (await configDump(stack.adminUrl)).includes(
          'default/openai/route/multi-provider/rule/4/ref/0',
        ),
      { timeoutMs: 60_000, description: 'rule 4 with its backend name in /config_dump' },
    );
    const completion = await waitFor(
      () =>
        stack.client.chat.completions.create({
          model: 'gpt-edited',
          messages: [{ role: 'user', content: 'edited route' }],
        }),
      { timeoutMs: 20_000, description: 'gpt-edited to answer' },
    );
    expect(completion.choices[0]?.message.content).toContain('edited route');
  });
});
