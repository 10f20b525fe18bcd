import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';
import {
  spawnManaged,
  useHarness,
  waitFor,
  type EnvoyProcess,
  type FakeUpstream,
  type ManagedProcess,
} from '@aigw/testkit';
import { grpcServing } from './support/grpc-health.js';
import { ensureBuilt } from './support/aigw-process.js';
import {
  allFaults,
  faultyProvider,
  seededRandom,
  weightedFaults,
  type Fault,
  type FaultyHit,
  type FaultyProvider,
} from './support/fake-providers/faulty.js';
import { localReplyConfig } from '@aigw/gateway-config';
import { gatewayBootstrap, hcmOf, withTokenBudget } from './support/gateway-bootstrap.js';
import { callWith, type Outcome } from './support/sdk-outcome.js';

/**
 * Failure of our own part and chaos under load, through real Envoy and the real extproc process
 * (`apps/extproc/dist/bin.js`), started here rather than by `aigw run`, which deliberately stops
 * when a child dies. Two fault-injecting providers (OpenAI's wire, Anthropic's) behind one
 * cluster each; clients are the official `openai` and `@anthropic-ai/sdk`, streaming and not.
 *
 * Every client call carries its own id in `x-test-tag`, which the providers record, so each
 * call can be matched with the provider request it caused (if any).
 */
const harness = useHarness();
const apiKey = 'sk-chaos-0123456789';
/** Envoy's route timeout: the longest any call may take before the gateway answers 504. */
const routeTimeoutMs = 3_000;
/** A call that has not ended this long after it started is hung (route timeout + slack). */
const hangMs = routeTimeoutMs + 7_000;
/**
 * The chaos run's length. The issue asks for 60 s (`AIGW_CHAOS_SECONDS=60`); the suite runs 20 s
 * on its 2-core machine, which is enough for a few thousand calls and one extproc restart.
 */
const chaosSeconds = Number(process.env.AIGW_CHAOS_SECONDS ?? '20');
const chaosSeed = 0x5eed;
const concurrency = 16;

const models = { openai: 'chaos-openai', anthropic: 'chaos-claude' } as const;
type Wire = keyof typeof models;
type Client = 'openai' | 'anthropic';

/** One client call and how it ended. */
interface Call {
  readonly id: string;
  readonly client: Client;
  readonly wire: Wire;
  readonly stream: boolean;
  readonly startedAt: number;
  endedAt: number;
  outcome: Outcome | { kind: 'hung' };
}

/** The extproc as its own process, restartable on the same socket. */
class ExtProcProcess {
  process!: ManagedProcess;
  restarts = 0;
  constructor(private readonly paths: { socket: string; config: string }) {}

  async start(): Promise<void> {
    // A SIGKILLed server leaves its socket file behind: the new one must bind over it (it does).
    this.process = await spawnManaged(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'apps', 'extproc', 'dist', 'bin.js'),
        ...['--address', `unix:${this.paths.socket}`, '--config', this.paths.config],
        ...['--log-level', 'warn'],
      ],
      { name: `extproc-${String(this.restarts)}` },
    );
    await this.process.untilReady(() => grpcServing(`unix:${this.paths.socket}`), {
      timeoutMs: 20_000,
      description: 'extproc gRPC health SERVING',
    });
  }

  /** SIGKILL, as the OOM killer or a node failure would, and wait until it is gone. */
  async kill(): Promise<void> {
    process.kill(this.process.pid, 'SIGKILL');
    const status = await this.process.exited;
    expect(status.signal).toBe('SIGKILL');
    this.restarts += 1;
  }
}

/**
 * The test gateway with `aigw run`'s local-reply mapper (Envoy's own errors as JSON in the
 * client's dialect), as every generated gateway has it.
 */
function withLocalReplies(bootstrap: object): object {
  hcmOf(bootstrap).local_reply_config = localReplyConfig();
  return bootstrap;
}

/** `promise`, or `{ kind: 'hung' }` if it has not settled within `ms`. */
async function withinOrHung(promise: Promise<Outcome>, ms: number): Promise<Call['outcome']> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<{ kind: 'hung' }>((resolve) => {
    timer = setTimeout(() => {
      resolve({ kind: 'hung' });
    }, ms);
  });
  return Promise.race([promise, hung]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * What a client sees for a provider fault when nothing else goes wrong (no fallback here), as a
 * tally key: the outcome's kind, with the status of an HTTP error.
 */
function expectedKey(fault: Fault, stream: boolean): string {
  switch (fault) {
    case 'ok':
      return 'success';
    case '5xx':
    case 'reset':
      return 'http-error 503';
    case '429':
      return 'http-error 429';
    case 'slow':
      return 'http-error 504';
    case 'cut':
    case 'error-first':
      // A non-streamed answer cut short: the extproc cannot read the partial JSON and answers
      // 502 in the client's dialect (nothing had reached the client).
      return stream ? 'stream-error' : 'http-error 502';
    case 'cut-reset':
      return stream ? 'connection-error' : 'http-error 502';
  }
}

/** The tally key of an outcome: its kind, and the status of an HTTP error. */
function tallyKey(outcome: Call['outcome']): string {
  return outcome.kind === 'http-error' ? `http-error ${String(outcome.status)}` : outcome.kind;
}

function count<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('the extproc killed under load, and chaos, through real Envoy', () => {
  let envoy: EnvoyProcess;
  let url: string;
  let extproc: ExtProcProcess;
  const providers: Record<Wire, FaultyProvider> = {
    openai: faultyProvider({ wire: 'openai', slowMs: 2 * routeTimeoutMs }),
    anthropic: faultyProvider({ wire: 'anthropic', slowMs: 2 * routeTimeoutMs }),
  };
  const upstreams = {} as Record<Wire, FakeUpstream>;
  let nextId = 0;
  let bootstrapFor: (rlsSocket?: string) => object;

  beforeAll(async () => {
    ensureBuilt();
    const dir = harness.tempDir('chaos');
    writeFileSync(join(dir, 'key'), `${apiKey}\n`);
    const backends = [
      {
        name: 'default/openai/route/chaos/rule/0/ref/0',
        schema: { name: 'OpenAI' },
        auth: { apiKey: { file: join(dir, 'key') } },
      },
      {
        name: 'default/anthropic/route/chaos/rule/1/ref/0',
        schema: { name: 'Anthropic' },
        auth: { anthropicApiKey: { file: join(dir, 'key') } },
      },
    ] as const;
    const config: FilterConfigInput = {
      version: 'v1',
      backends: [...backends],
      routes: {
        rules: [
          { models: [models.openai], cluster: 'openai' },
          { models: [models.anthropic], cluster: 'anthropic' },
        ],
      },
    };
    const configPath = join(dir, 'filter-config.json');
    writeFileSync(configPath, JSON.stringify(config));
    // A short socket path (Unix socket paths are limited to 108 bytes).
    extproc = new ExtProcProcess({ socket: join(dir, 'ep.sock'), config: configPath });
    await extproc.start();
    upstreams.openai = await harness.upstream(providers.openai.handler, { name: 'chaos-openai' });
    upstreams.anthropic = await harness.upstream(providers.anthropic.handler, {
      name: 'chaos-anthropic',
    });
    bootstrapFor = (rlsSocket) => {
      const bootstrap = withLocalReplies(
        gatewayBootstrap({
          extprocSocket: join(dir, 'ep.sock'),
          accessLogPath: join(dir, 'access.log'),
          routeTimeout: `${String(routeTimeoutMs / 1000)}s`,
          backends: [
            {
              cluster: 'openai',
              backendName: backends[0].name,
              upstream: upstreams.openai,
            },
            {
              cluster: 'anthropic',
              backendName: backends[1].name,
              upstream: upstreams.anthropic,
            },
          ],
        }),
      );
      return rlsSocket === undefined
        ? bootstrap
        : withTokenBudget(bootstrap, {
            rlsSocket,
            actions: [{ generic_key: { descriptor_key: 'route', descriptor_value: 'chaos' } }],
          });
    };
    envoy = await harness.envoy({ name: 'envoy-chaos', bootstrap: bootstrapFor() });
    url = await envoy.listenerUrl('ingress');
  });

  afterAll(async () => {
    await envoy.stop();
    await extproc.process.stop();
  });

  /** One call with a fresh id, a client and a provider picked by `random`. */
  async function oneCall(random: () => number): Promise<Call> {
    nextId += 1;
    const id = `c${String(nextId)}`;
    const client: Client = random() < 0.5 ? 'openai' : 'anthropic';
    const wire: Wire = random() < 0.5 ? 'openai' : 'anthropic';
    const stream = random() < 0.5;
    const startedAt = performance.now();
    const outcome = await withinOrHung(
      callWith(client, url, {
        model: models[wire],
        stream,
        headers: { 'x-test-tag': id },
        timeoutMs: hangMs,
      }),
      hangMs,
    );
    return { id, client, wire, stream, startedAt, endedAt: performance.now(), outcome };
  }

  /** Runs `concurrency` workers making calls until `stop()` says so. */
  async function load(random: () => number, stop: () => boolean): Promise<Call[]> {
    const calls: Call[] = [];
    const worker = async (): Promise<void> => {
      while (!stop()) calls.push(await oneCall(random));
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return calls;
  }

  /** The provider request each call caused, by its tag; at most one (no retry policy here). */
  function hitsByCall(): Map<string, FaultyHit[]> {
    const byTag = new Map<string, FaultyHit[]>();
    for (const hit of [...providers.openai.hits, ...providers.anthropic.hits]) {
      if (hit.tag === undefined) continue;
      byTag.set(hit.tag, [...(byTag.get(hit.tag) ?? []), hit]);
    }
    return byTag;
  }

  it('extproc SIGKILLed under load: no call hangs, errors are 500 error JSON, recovery after restart', async () => {
    const random = seededRandom(1);
    let stopped = false;
    const running = load(random, () => stopped);
    const completed = (): number => providers.openai.hits.length + providers.anthropic.hits.length;
    await waitFor(() => completed() >= 50, { timeoutMs: 30_000, description: '50 calls served' });
    const killedAt = performance.now();
    await extproc.kill();
    // Calls keep coming while the extproc is down: wait until the gateway has refused some.
    const atKill = nextId;
    await waitFor(() => nextId >= atKill + 2 * concurrency, {
      timeoutMs: 20_000,
      description: 'calls made while the extproc is down',
    });
    const restartAt = performance.now();
    await extproc.start();
    const servedAtRestart = completed();
    await waitFor(() => completed() >= servedAtRestart + 50, {
      timeoutMs: 30_000,
      description: '50 calls served after the restart',
    });
    const recoveredAt = performance.now();
    stopped = true;
    const calls = await running;

    const tally = count(calls, (call) => tallyKey(call.outcome));
    console.log(
      `extproc restart under load (c=${String(concurrency)}): ${String(calls.length)} calls`,
      tally,
      `down ${String(Math.round(restartAt - killedAt))} ms, first 50 served ${String(Math.round(recoveredAt - restartAt))} ms after the restart`,
    );
    expect(tally.hung ?? 0).toBe(0);
    for (const call of calls) {
      const { outcome } = call;
      if (outcome.kind === 'success' || outcome.kind === 'hung') continue;
      // Every failure overlapped the outage.
      expect(call.endedAt, `${call.id} failed outside the outage`).toBeGreaterThanOrEqual(killedAt);
      expect(call.startedAt).toBeLessThanOrEqual(recoveredAt);
      if (outcome.kind === 'http-error') {
        // Envoy's 500 (failure_mode_allow: false) as JSON in the client's dialect.
        expect([500, 503]).toContain(outcome.status);
        expect(outcome.type).toMatch(call.client === 'openai' ? /^server_error$/ : /^api_error$/);
      } else {
        // A stream in flight when the extproc died is reset (the client sees a broken stream).
        expect(outcome.kind).toBe('connection-error');
      }
    }
    // Calls made after the extproc came back all succeeded (no fault was injected).
    const after = calls.filter((call) => call.startedAt > recoveredAt);
    expect(after.every((call) => call.outcome.kind === 'success')).toBe(true);
    expect(tally.success ?? 0).toBeGreaterThanOrEqual(50);
  }, 90_000);

  it('the rate limiter down: Envoy lets requests through (failure_mode_deny: false)', async () => {
    // Nothing listens on the limiter's socket: as if its process died.
    const limited = await harness.envoy({
      name: 'envoy-no-rls',
      bootstrap: bootstrapFor(join(harness.tempDir('no-rls'), 'rls.sock')),
    });
    const limitedUrl = await limited.listenerUrl('ingress');
    const outcomes = await Promise.all(
      (['openai', 'anthropic'] as const).flatMap((client) =>
        [false, true].map((stream) =>
          withinOrHung(
            callWith(client, limitedUrl, { model: models.openai, stream, timeoutMs: hangMs }),
            hangMs,
          ),
        ),
      ),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      'success',
      'success',
      'success',
      'success',
    ]);
    // Each request asked the limiter at its start and again when its stream was done.
    // (The filter counts in the route's cluster: `cluster.openai.ratelimit.*`.)
    const stats = await limited.stats('ratelimit');
    expect(
      stats['cluster.openai.ratelimit.failure_mode_allowed'],
      JSON.stringify(stats),
    ).toBeGreaterThanOrEqual(4);
    await limited.stop();
  });

  it(
    `chaos: ${String(chaosSeconds)} s at c=${String(concurrency)}, seeded faults on both providers, one extproc restart`,
    async () => {
      const random = seededRandom(chaosSeed);
      const weights: Partial<Record<Fault, number>> = {
        ok: 60,
        '5xx': 8,
        '429': 8,
        reset: 6,
        slow: 2,
        cut: 6,
        'cut-reset': 5,
        'error-first': 5,
      };
      const faultSource = weightedFaults(seededRandom(chaosSeed + 1), weights);
      // Both providers draw from one seeded source: the sequence of faults is fixed, their order
      // among the concurrent calls is not.
      const before = {
        openai: providers.openai.hits.length,
        anthropic: providers.anthropic.hits.length,
      };
      const restore = [providers.openai, providers.anthropic].map((p) => p.setNext(faultSource));
      const firstCall = nextId + 1;
      const startedAt = performance.now();
      const endAt = startedAt + chaosSeconds * 1000;
      let killedAt = Number.POSITIVE_INFINITY;
      let backAt = Number.POSITIVE_INFINITY;
      const restart = (async () => {
        // The restart at 40 % of the run.
        await waitFor(() => performance.now() >= startedAt + chaosSeconds * 400, {
          timeoutMs: chaosSeconds * 1000,
          intervalMs: 100,
          description: 'the restart time',
        });
        killedAt = performance.now();
        await extproc.kill();
        // Calls keep coming while it is down: restart once the gateway has refused some.
        const atKill = nextId;
        await waitFor(() => nextId >= atKill + concurrency, {
          timeoutMs: 10_000,
          description: 'calls made while the extproc is down',
        });
        await extproc.start();
        backAt = performance.now();
      })();
      const calls = await load(random, () => performance.now() >= endAt);
      await restart;
      for (const undo of restore) undo();

      // Reconciliation, call by call. Each call carries its id to the provider, and Envoy has no
      // retry policy here, so a call reached a provider at most once:
      //   calls (client side) = provider requests tagged with a call id + calls that reached none
      // and a call that reached none can only have been refused by the gateway while the extproc
      // was down. A call that reached a provider ends as that provider's fault dictates, unless
      // the extproc died while it was in flight.
      const hits = hitsByCall();
      const chaosCalls = calls.filter((call) => Number(call.id.slice(1)) >= firstCall);
      let providerRequests = 0;
      let notForwarded = 0;
      let changedByRestart = 0;
      const byFault: Record<string, Record<string, number>> = {};
      for (const call of chaosCalls) {
        const own = hits.get(call.id) ?? [];
        expect(own.length, `${call.id} reached a provider more than once`).toBeLessThanOrEqual(1);
        const overlapsOutage = call.startedAt <= backAt && call.endedAt >= killedAt;
        const hit = own[0];
        if (hit === undefined) {
          notForwarded += 1;
          expect(overlapsOutage, `${call.id} reached no provider outside the outage`).toBe(true);
          expect(['http-error', 'connection-error']).toContain(call.outcome.kind);
          continue;
        }
        providerRequests += 1;
        expect(hit.model).toBe(models[call.wire]);
        const faultTally = (byFault[hit.fault] ??= {});
        faultTally[tallyKey(call.outcome)] = (faultTally[tallyKey(call.outcome)] ?? 0) + 1;
        if (tallyKey(call.outcome) !== expectedKey(hit.fault, call.stream)) {
          changedByRestart += 1;
          expect(overlapsOutage, `${call.id}: ${hit.fault} gave ${tallyKey(call.outcome)}`).toBe(
            true,
          );
        }
      }
      const providerSide =
        providers.openai.hits.length -
        before.openai +
        (providers.anthropic.hits.length - before.anthropic);
      const tally = count(chaosCalls, (call) => tallyKey(call.outcome));
      console.log(
        [
          `chaos: ${String(chaosSeconds)} s, c=${String(concurrency)}, seed ${String(chaosSeed)}: ${String(chaosCalls.length)} calls`,
          `client outcomes: ${JSON.stringify(tally)}`,
          `provider faults: ${JSON.stringify(Object.fromEntries(allFaults.map((f) => [f, Object.values(byFault[f] ?? {}).reduce((a, b) => a + b, 0)])))}`,
          `outcome per fault: ${JSON.stringify(byFault)}`,
          `reconciled: ${String(chaosCalls.length)} calls = ${String(providerRequests)} provider requests + ${String(notForwarded)} refused while the extproc was down; ${String(changedByRestart)} in-flight calls changed by the restart; extproc down ${String(Math.round(backAt - killedAt))} ms`,
        ].join('\n'),
      );
      expect(tally.hung ?? 0).toBe(0);
      expect(chaosCalls.length).toBe(providerRequests + notForwarded);
      // Every provider request of the run came from one of its calls (none from a retry).
      expect(providerSide).toBe(providerRequests);
      expect(tally.success ?? 0).toBeGreaterThan(0);
      // No process crashed: Envoy, the providers and the restarted extproc are all still up.
      expect(extproc.process.exitStatus()).toBeUndefined();
      expect(await envoy.admin('/ready')).toContain('LIVE');
    },
    chaosSeconds * 1000 + 60_000,
  );
});
