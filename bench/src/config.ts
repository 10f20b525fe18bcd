import { parseArgs } from 'node:util';

/** What a run does: the full suite, a shorter one, the end-to-end check, or the memory soak. */
export type BenchMode = 'full' | 'quick' | 'smoke' | 'soak';

/** Every knob of a run; see {@link usage}. */
export interface BenchOptions {
  readonly mode: BenchMode;
  /** Non-streamed requests per target before measuring (concurrency 1). */
  readonly warmup: number;
  /** Non-streamed requests measured per target at concurrency 1. */
  readonly requests: number;
  /** Connections of the throughput phases (autocannon), one phase each. */
  readonly concurrencies: readonly number[];
  /** Seconds each throughput phase runs per target (split into the slices). */
  readonly durationS: number;
  /** Each phase is split into this many slices, alternating direct and gateway. */
  readonly rounds: number;
  readonly streamWarmup: number;
  /** Streamed requests measured per target at concurrency 1. */
  readonly streams: number;
  /** Content frames per stream, and the fake backend's pause between them. */
  readonly frames: number;
  readonly frameGapMs: number;
  /** The fake backend's think time before it answers (JSON) or sends the first frame (SSE). */
  readonly latencyMs: number;
  /** Requests per large-body case per target. */
  readonly bodyRequests: number;
  /** Seconds per rate-limit bench row (the ratelimit bench, run as a child process). */
  readonly rlsSeconds: number;
  /** Extproc processes behind the gateway's extproc cluster (one Unix socket each). */
  readonly extprocs: number;
  /** Envoy worker threads (`--concurrency`) of both Envoys. */
  readonly envoyConcurrency: number;
  /** Profile the extproc (a separate run under `node --cpu-prof`). */
  readonly shouldProfile: boolean;
  /** Seconds per profiled phase. */
  readonly profileDurationS: number;
  readonly extprocFrom: 'dist' | 'source';
  /** Soak mode: minutes of load, and seconds between two RSS lines. */
  readonly soakMinutes: number;
  readonly sampleS: number;
  /**
   * Scheduling priority for this process and, inherited, every child it starts (negative values
   * need root or CAP_SYS_NICE). 0 leaves it alone.
   */
  readonly nice: number;
  /**
   * Also run the peers (Portkey's gateway, LiteLLM's proxy; envoyproxy/ratelimit next to the
   * limiter), installed at run time into .tools/peers by bench/scripts/install-peers.sh.
   */
  readonly peers: boolean;
  /**
   * Instead of the suite: the extproc with its observability off, with Prometheus (scraped every
   * second), and with Prometheus + OTLP metrics (without, then with traces) into a real
   * collector, alternating.
   */
  readonly observability: boolean;
  /** Write bench/results/*.json and docs/benchmarks.md. */
  readonly shouldWrite: boolean;
  /** Also write the JSON report here (any mode), e.g. to compare two variants. */
  readonly out: string | undefined;
  /** The command line, for the record. */
  readonly command: string;
}

/** The `--help` text. */
export const usage = `pnpm bench [options]

Modes (default: the full suite, ~4 min, writes bench/results and docs/benchmarks.md):
  --quick                 shorter run (~1 min): small counts, every figure printed, writes nothing
  --smoke                 end-to-end check (< 60 s): tiny counts; exits 1 unless every figure is
                          produced (finite numbers, no failed request); no timing thresholds
  --soak                  memory soak: load the gateway and the limiter for --minutes and print
                          extproc/limiter RSS once a minute, then start/max/end/slope (not in CI)

Counts (full; quick; smoke):
  --warmup <n>            non-streamed warm-up requests per target     (200; 50; 10)
  --requests <n>          non-streamed requests at concurrency 1       (2000; 300; 20)
  --concurrency <list>    connections of the throughput phases         (16,64)
  --duration <s>          seconds per throughput phase per target      (10; 2; 0.3)
  --rounds <n>            slices per phase, alternating targets        (4; 2; 1)
  --stream-warmup <n>     streamed warm-up requests per target         (20; 5; 1)
  --streams <n>           streamed requests at concurrency 1           (300; 30; 3)
  --frames <n>            SSE content frames per stream                (20; 20; 5)
  --frame-gap-ms <ms>     pause between frames at the fake backend     (1)
  --latency-ms <ms>       fake backend think time, e.g. 0 or 20        (0)
  --body-requests <n>     requests per large-body case per target      (20; 3; 1)
  --rls-seconds <s>       seconds per rate-limit row                   (3; 1; 0.3)
  --profile-duration <s>  profiled phase length, seconds               (10; 2; -)
  --minutes <n>           soak length                                  (30)
  --sample-seconds <s>    soak: seconds between RSS lines              (60)

Shape:
  --extprocs <n>          extproc processes sharing one Unix socket (node:cluster); the load
                          spreads per Envoy worker: use with --envoy-concurrency n      (1)
  --envoy-concurrency <n> Envoy worker threads, both Envoys            (1)
  --no-profile            skip the node --cpu-prof run (smoke never profiles)
  --peers                 also measure the peers in the same alternating run: Portkey's gateway
                          (npm) and LiteLLM's proxy (PyPI) against the same fake provider, and
                          envoyproxy/ratelimit (Go) next to our limiter on the same Redis;
                          installs them first into .tools/peers (cached; needs the registries)
  --observability         instead of the suite: four gateways (own extproc + Envoy each, same fake
                          provider) alternating: observability off, Prometheus (--admin-port,
                          scraped every second), + OTLP metrics, + OTLP metrics and traces, into
                          the OpenTelemetry Collector of the tests (.tools/bin/otelcol-aigw or
                          OTELCOL_BIN; without it the OTLP columns are skipped with a note);
                          c=1, c=<first --concurrency>, streams; writes its block of
                          docs/benchmarks.md like the suite (full: yes; --no-write: no)
  --extproc <dist|source> run apps/extproc/dist, built first (default), or its sources via tsx
  --nice <n>              run this process and its children at nice n (negative needs root)  (0)
  --write / --no-write    write bench/results and docs/benchmarks.md (default: full and soak)
  --out <file>            also write the JSON report to <file> (any mode)
`;

const full = {
  warmup: 200,
  requests: 2000,
  duration: 10,
  rounds: 4,
  'stream-warmup': 20,
  streams: 300,
  frames: 20,
  'frame-gap-ms': 1,
  'latency-ms': 0,
  'body-requests': 20,
  'rls-seconds': 3,
  'profile-duration': 10,
  minutes: 30,
  'sample-seconds': 60,
  extprocs: 1,
  'envoy-concurrency': 1,
};
const quick: typeof full = {
  ...full,
  warmup: 50,
  requests: 300,
  duration: 2,
  rounds: 2,
  'stream-warmup': 5,
  streams: 30,
  'body-requests': 3,
  'rls-seconds': 1,
  'profile-duration': 2,
};
const smoke: typeof full = {
  ...quick,
  warmup: 10,
  requests: 20,
  duration: 0.3,
  rounds: 1,
  'stream-warmup': 1,
  streams: 3,
  frames: 5,
  'body-requests': 1,
  'rls-seconds': 0.3,
};
type NumberFlag = keyof typeof full;
/** Flags that may be zero or fractional; the others are positive counts. */
const nonNegative = new Set<NumberFlag>([
  'frame-gap-ms',
  'latency-ms',
  'duration',
  'rls-seconds',
  'profile-duration',
  'sample-seconds',
  'minutes',
]);

/** Thrown for a bad command line; the message is meant for the user. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function numberFlag(
  values: Readonly<Record<string, unknown>>,
  flag: NumberFlag,
  defaults: typeof full,
): number {
  const raw = values[flag];
  if (raw === undefined) return defaults[flag];
  const value = Number(raw);
  const isCount = !nonNegative.has(flag);
  const isBad = isCount ? !Number.isInteger(value) || value < 1 : !(value >= 0);
  if (!Number.isFinite(value) || isBad)
    throw new UsageError(`--${flag} must be a ${isCount ? 'positive integer' : 'number ≥ 0'}`);
  return value;
}

function modeOf(values: { quick: boolean; smoke: boolean; soak: boolean }): BenchMode {
  const chosen = (['quick', 'smoke', 'soak'] as const).filter((mode) => values[mode]);
  if (chosen.length > 1) throw new UsageError('choose one of --quick, --smoke, --soak');
  return chosen[0] ?? 'full';
}

function concurrencyList(raw: string): number[] {
  const list = raw.split(',').map(Number);
  if (list.length === 0 || list.some((c) => !Number.isInteger(c) || c < 1))
    throw new UsageError('--concurrency must be a comma-separated list of positive integers');
  return list;
}

function enumFlag<T extends string>(raw: string, allowed: readonly T[], flag: string): T {
  const found = allowed.find((value) => value === raw);
  if (found === undefined) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}`);
  return found;
}

function parse(argv: readonly string[]) {
  const numberOptions = Object.fromEntries(
    Object.keys(full).map((flag) => [flag, { type: 'string' as const }]),
  );
  return parseArgs({
    args: [...argv],
    allowNegative: true,
    options: {
      ...numberOptions,
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      soak: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: true },
      peers: { type: 'boolean', default: false },
      observability: { type: 'boolean', default: false },
      write: { type: 'boolean' },
      nice: { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '16,64' },
      extproc: { type: 'string', default: 'dist' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
}

/** `--write` / `--no-write` when given, else full and soak runs write. */
function shouldWrite(flag: boolean | undefined, mode: BenchMode): boolean {
  return typeof flag === 'boolean' ? flag : mode === 'full' || mode === 'soak';
}

/** Flags that do not go together. */
function refuseCombinations(values: {
  peers: boolean;
  observability: boolean;
  mode: BenchMode;
  extprocs: number;
}): void {
  if (values.peers && values.mode === 'soak')
    throw new UsageError('--peers does not apply to --soak');
  if (values.observability && (values.mode === 'soak' || values.peers))
    throw new UsageError('--observability runs on its own: not with --soak or --peers');
  if (values.observability && values.extprocs > 1)
    throw new UsageError('--observability measures one extproc per column: not with --extprocs');
}

/** Parses the command line (flags only; positional arguments are refused). */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parse(argv);
  if (values.help) return 'help';
  const mode = modeOf(values);
  const defaults = mode === 'quick' ? quick : mode === 'smoke' ? smoke : full;
  const get = (flag: NumberFlag): number => numberFlag(values, flag, defaults);
  const nice = Number(values.nice);
  if (!Number.isInteger(nice) || nice < -20 || nice > 19)
    throw new UsageError('--nice must be an integer from -20 to 19');
  const extprocs = get('extprocs');
  refuseCombinations({ ...values, mode, extprocs });
  const rest = argv.length > 0 ? ` ${argv.join(' ')}` : '';
  return {
    mode,
    warmup: get('warmup'),
    requests: get('requests'),
    concurrencies: concurrencyList(values.concurrency),
    durationS: get('duration'),
    rounds: get('rounds'),
    streamWarmup: get('stream-warmup'),
    streams: get('streams'),
    frames: Math.max(2, get('frames')),
    frameGapMs: get('frame-gap-ms'),
    latencyMs: get('latency-ms'),
    bodyRequests: get('body-requests'),
    rlsSeconds: get('rls-seconds'),
    extprocs,
    envoyConcurrency: get('envoy-concurrency'),
    shouldProfile: values.profile && mode !== 'smoke' && mode !== 'soak',
    profileDurationS: get('profile-duration'),
    extprocFrom: enumFlag(values.extproc, ['dist', 'source'] as const, 'extproc'),
    soakMinutes: get('minutes'),
    sampleS: get('sample-seconds'),
    nice,
    peers: values.peers,
    observability: values.observability,
    shouldWrite: shouldWrite(values.write, mode),
    out: values.out,
    command: `pnpm bench${rest}`,
  };
}
