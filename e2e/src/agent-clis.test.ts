import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  fakeServiceAccount,
  startFakeGoogle,
  type FakeGoogle,
} from '@aigw/cloud-credentials/testing';
import { findRepoRoot, useHarness, type FakeUpstream, type RecordedRequest } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import {
  apiKeyObjects,
  backendObjects,
  gcpCredentialObjects,
  modelRouteObject,
  policyObjects,
} from './support/backend-yaml.js';
import { fakeAnthropic } from './support/fake-providers/fake-anthropic.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';
import { fakeVertex } from './support/fake-providers/fake-vertex.js';
import { providerHostnames } from './support/fake-providers/provider-gateway.js';

/**
 * The official coding-agent CLIs — Claude Code, Codex and Gemini CLI, at the versions
 * `scripts/install-agent-clis.sh` pins — run non-interactively (print/exec mode, a throwaway home,
 * telemetry and update checks off, dummy keys) against `aigw run` in front of fake providers. Each
 * prompt carries a scripted call (`[[call <tool> <args>]]`, see fake-providers/conversation.ts):
 * the fake model's first answer calls one of the CLI's own shell tools, the CLI runs it, and the
 * fake's second answer quotes the tool's output, which the CLI prints. The shell command computes
 * its marker (`printf agent-tool-%d 42`) so the answer proves the command ran. docs/agents.md has the setups.
 */
const harness = useHarness();
const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the e2e tests inside the repository');
  })();

const marker = 'agent-tool-42';
const shellCommand = 'printf agent-tool-%d 42';
const usage = { input: 13, output: 5 };
const keys = { openai: 'sk-agents-openai-0123', anthropic: 'sk-ant-agents-0123' } as const;
const gcp = { project: 'agents-project', region: 'us-east5' } as const;

/** The models a CLI asks for, and which backend each one is routed to. */
const models = {
  claudeOnAnthropic: 'claude-sonnet-4-5',
  claudeOnOpenAI: 'claude-on-openai',
  codexOnOpenAI: 'gpt-5-codex',
  codexOnChatOnly: 'codex-on-chat-only',
  codexOnAnthropic: 'codex-on-anthropic',
  geminiOnVertex: 'gemini-2.5-flash',
} as const;

/** Where `scripts/install-agent-clis.sh` puts each CLI unless `*_BIN` names another. */
const cliBins = {
  claude: {
    variable: 'CLAUDE_CODE_BIN',
    installed:
      '.tools/agent-clis/claude-code/node_modules/@anthropic-ai/claude-code/bin/claude.exe',
  },
  codex: {
    variable: 'CODEX_BIN',
    installed: '.tools/agent-clis/codex/node_modules/@openai/codex/bin/codex.js',
  },
  gemini: {
    variable: 'GEMINI_CLI_BIN',
    installed: '.tools/agent-clis/gemini-cli/node_modules/@google/gemini-cli/bundle/gemini.js',
  },
} as const;

function cliBin(cli: keyof typeof cliBins): string {
  const { variable, installed } = cliBins[cli];
  const bin = process.env[variable] ?? join(root, installed);
  if (!existsSync(bin)) {
    throw new Error(
      `${variable}: ${bin} does not exist; run scripts/install-agent-clis.sh (or bootstrap.sh --test)`,
    );
  }
  return bin;
}

/** How a CLI run ended. */
interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a CLI to completion with only `env` (no inherited keys or config), stdin closed, in a fresh
 * working directory; killed after `timeoutMs` (the run then fails with its output).
 */
function runCli(command: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const [file, ...args] = command;
  const cwd = harness.tempDir('agent-cli-work');
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, {
      cwd,
      env: { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== null) {
        reject(
          new Error(`${file!} was killed (${signal}); stdout:\n${stdout}\nstderr:\n${stderr}`),
        );
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** The prompt: a scripted call of `tool` with `args`, for the fake model. */
const promptFor = (tool: string, args: Record<string, unknown>): string =>
  `Run the shell command \`${shellCommand}\` and tell me what it printed. [[call ${tool} ${JSON.stringify(args)}]]`;

const bodyText = (request: RecordedRequest | undefined): string =>
  request?.body.toString('utf8') ?? '';

/** What a CLI run must show: the fake's final answer printed, the tool's output sent back. */
function expectToolRoundTrip(run: CliRun, served: readonly RecordedRequest[]): void {
  const context = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  expect(run.code, context).toBe(0);
  expect(run.stdout, context).toContain('The tool answered:');
  expect(run.stdout, context).toContain(marker);
  // The first request asked for the call (no tool result yet); a later one carried the result.
  expect(served.length, context).toBeGreaterThanOrEqual(2);
  expect(bodyText(served[0])).not.toContain(marker);
  expect(served.some((request) => bodyText(request).includes(marker))).toBe(true);
}

/** Marks an AIServiceBackend (among `objects`) as serving `/v1/responses` by chat completions. */
function chatOnly(objects: object[]): object[] {
  return objects.map((object) => {
    const o = object as { kind?: string; metadata: Record<string, unknown> };
    if (o.kind !== 'AIServiceBackend') return object;
    const annotations = { 'aigateway.envoyproxy.io/responses-api': 'chat' };
    return { ...o, metadata: { ...o.metadata, annotations } };
  });
}

/** The gateway's resources: one route rule per model, four backends. */
function gatewayYaml(
  upstreams: { openai: FakeUpstream; anthropic: FakeUpstream; vertex: FakeUpstream },
  serviceAccountJson: string,
): string {
  const at = (upstream: FakeUpstream, hostname: string) => ({ port: upstream.port, hostname });
  const docs = [
    modelRouteObject('agents', [
      [models.claudeOnAnthropic, 'anthropic'],
      [models.claudeOnOpenAI, 'openai'],
      [models.codexOnOpenAI, 'openai'],
      [models.codexOnChatOnly, 'openai-chat'],
      [models.codexOnAnthropic, 'anthropic'],
      [models.geminiOnVertex, 'vertex'],
    ]),
    ...backendObjects('openai', { name: 'OpenAI' }, at(upstreams.openai, providerHostnames.openai)),
    ...apiKeyObjects('openai', keys.openai),
    // The same fake as an OpenAI-compatible server without the Responses API (vLLM, Ollama, …).
    ...chatOnly(
      backendObjects(
        'openai-chat',
        { name: 'OpenAI' },
        at(upstreams.openai, providerHostnames.openai),
      ),
    ),
    ...apiKeyObjects('openai-chat', keys.openai),
    ...backendObjects(
      'anthropic',
      { name: 'Anthropic' },
      at(upstreams.anthropic, providerHostnames.anthropic),
    ),
    ...policyObjects(
      'anthropic',
      { type: 'AnthropicAPIKey', anthropicAPIKey: { secretRef: { name: 'anthropic-key' } } },
      { apiKey: keys.anthropic },
    ),
    ...backendObjects(
      'vertex',
      { name: 'GCPVertexAI' },
      at(upstreams.vertex, providerHostnames.vertex),
    ),
    ...gcpCredentialObjects('vertex', gcp, serviceAccountJson),
  ];
  return docs.map((doc) => stringify(doc)).join('---\n');
}

describe('coding-agent CLIs through aigw run', () => {
  let google: FakeGoogle;
  let upstreams: { openai: FakeUpstream; anthropic: FakeUpstream; vertex: FakeUpstream };
  let aigw: RunningAigw;

  beforeAll(async () => {
    const account = fakeServiceAccount({ project: gcp.project, name: 'agents' });
    google = await startFakeGoogle({ serviceAccounts: [account] });
    upstreams = {
      openai: await harness.upstream(
        fakeOpenAI({ apiKey: keys.openai, azureApiKey: 'unused', usage }),
        { name: 'fake-openai' },
      ),
      anthropic: await harness.upstream(fakeAnthropic({ apiKey: keys.anthropic, usage }), {
        name: 'fake-anthropic',
      }),
      vertex: await harness.upstream(
        fakeVertex({
          token: (token) => google.issued.isValid(token),
          project: gcp.project,
          region: gcp.region,
          usage,
        }),
        { name: 'fake-vertex' },
      ),
    };
    const file = join(harness.tempDir('agent-clis'), 'gateway.yaml');
    writeFileSync(file, gatewayYaml(upstreams, account.keyJson));
    aigw = await startAigw({
      args: [file],
      env: { AIGW_GCP_OAUTH_TOKEN_URL: `${google.url}/token` },
    });
  });

  afterAll(async () => {
    await aigw.stop();
    await google.close();
  });

  /** The requests a fake serves while `run` runs. */
  async function served<T>(
    upstream: FakeUpstream,
    run: () => Promise<T>,
  ): Promise<{ result: T; requests: RecordedRequest[] }> {
    const before = upstream.requests.length;
    const result = await run();
    return { result, requests: upstream.requests.slice(before) };
  }

  /** Claude Code in print mode: ANTHROPIC_BASE_URL at the gateway, Bash allowed. */
  function claude(model: string): Promise<CliRun> {
    const home = harness.tempDir('claude-home');
    return runCli(
      [
        cliBin('claude'),
        '-p',
        promptFor('Bash', { command: shellCommand, description: 'Print the marker' }),
        '--model',
        model,
        '--allowedTools',
        'Bash',
      ],
      {
        HOME: home,
        CLAUDE_CONFIG_DIR: join(home, '.claude'),
        ANTHROPIC_BASE_URL: aigw.url,
        ANTHROPIC_API_KEY: 'sk-ant-client-dummy',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
    );
  }

  it('Claude Code via an Anthropic backend runs Bash and prints the answer', async () => {
    const { result, requests } = await served(upstreams.anthropic, () =>
      claude(models.claudeOnAnthropic),
    );
    expectToolRoundTrip(result, requests);
    expect(requests[0]?.headers['x-api-key']).toBe(keys.anthropic);
    expect(requests[0]?.headers['anthropic-beta']).toContain('claude-code-');
  });

  it('Claude Code via an OpenAI-compatible backend runs Bash and prints the answer', async () => {
    const { result, requests } = await served(upstreams.openai, () =>
      claude(models.claudeOnOpenAI),
    );
    expectToolRoundTrip(result, requests);
    expect(requests[0]?.url).toBe('/v1/chat/completions');
  });

  /** Codex in exec mode: a custom model provider at the gateway (Responses API), no sandbox. */
  function codex(model: string): Promise<CliRun> {
    const home = harness.tempDir('codex-home');
    const codexHome = join(home, '.codex');
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(
      join(codexHome, 'config.toml'),
      [
        `model = "${model}"`,
        'model_provider = "aigw"',
        'check_for_update_on_startup = false',
        // Codex's default tools: passed through to OpenAI as they are; for a chat-only backend its
        // sub-agent namespace is flattened and its hosted web search dropped (docs/agents.md).
        '',
        '[analytics]',
        'enabled = false',
        '',
        '[model_providers.aigw]',
        'name = "aigw"',
        `base_url = "${aigw.url}/v1"`,
        'env_key = "AIGW_API_KEY"',
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );
    return runCli(
      [
        process.execPath,
        cliBin('codex'),
        'exec',
        '--skip-git-repo-check',
        '--dangerously-bypass-approvals-and-sandbox',
        promptFor('exec_command', { cmd: shellCommand }),
      ],
      { HOME: home, CODEX_HOME: codexHome, AIGW_API_KEY: 'sk-client-dummy' },
    );
  }

  it('Codex via an OpenAI backend runs exec_command and prints the answer', async () => {
    const { result, requests } = await served(upstreams.openai, () => codex(models.codexOnOpenAI));
    expectToolRoundTrip(result, requests);
    // OpenAI serves the Responses API itself: the gateway passes /v1/responses through.
    expect(requests.map((request) => request.url)).toContain('/v1/responses');
    expect(requests.some((request) => request.url === '/v1/chat/completions')).toBe(false);
    const first = requests.find((request) => request.url === '/v1/responses');
    expect(first?.headers.authorization).toBe(`Bearer ${keys.openai}`);
    // Codex's tools as it offers them (no flattening, no dropped hosted tools).
    const sent = JSON.parse(bodyText(first)) as { tools?: { type: string }[] };
    expect(sent.tools?.map((tool) => tool.type)).toContain('function');
  });

  it('Codex via a chat-only OpenAI-compatible backend (responses-api: chat) stays on chat completions', async () => {
    const { result, requests } = await served(upstreams.openai, () =>
      codex(models.codexOnChatOnly),
    );
    expectToolRoundTrip(result, requests);
    expect(requests.every((request) => request.url === '/v1/chat/completions')).toBe(true);
  });

  it('Codex via a chat-only Anthropic backend runs exec_command and prints the answer', async () => {
    const { result, requests } = await served(upstreams.anthropic, () =>
      codex(models.codexOnAnthropic),
    );
    expectToolRoundTrip(result, requests);
    expect(requests[0]?.url.split('?')[0]).toBe('/v1/messages');
  });

  it('Gemini CLI via a Vertex AI backend runs run_shell_command and prints the answer', async () => {
    const home = harness.tempDir('gemini-home');
    mkdirSync(join(home, '.gemini'), { recursive: true });
    writeFileSync(
      join(home, '.gemini', 'settings.json'),
      JSON.stringify({
        security: { auth: { selectedType: 'gemini-api-key' } },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: { disableAutoUpdate: true, disableUpdateNag: true },
      }),
    );
    const { result, requests } = await served(upstreams.vertex, () =>
      runCli(
        [
          process.execPath,
          cliBin('gemini'),
          '-p',
          promptFor('run_shell_command', { command: shellCommand }),
          '-m',
          models.geminiOnVertex,
          '--yolo',
        ],
        {
          HOME: home,
          GEMINI_API_KEY: 'dummy-gemini-key',
          GOOGLE_GEMINI_BASE_URL: aigw.url,
          GEMINI_CLI_NO_RELAUNCH: 'true',
          GEMINI_CLI_TRUST_WORKSPACE: 'true',
        },
      ),
    );
    expectToolRoundTrip(result, requests);
    expect(requests[0]?.url).toContain(
      `/publishers/google/models/${models.geminiOnVertex}:streamGenerateContent`,
    );
  });
});
