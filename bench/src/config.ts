import { parseArgs } from 'node:util';

/** Every knob of a run; see {@link usage}. */
export interface BenchOptions {
  readonly isQuick: boolean;
  /** Non-streamed requests per target before measuring (concurrency 1). */
  readonly warmup: number;
  /** Non-streamed requests measured per target at concurrency 1. */
  readonly requests: number;
  /** Workers of the throughput phase. */
  readonly concurrency: number;
  /** Seconds of the throughput phase per target. */
  readonly durationS: number;
  /** Each phase is split into this many slices, alternating direct and gateway. */
  readonly rounds: number;
  readonly streamWarmup: number;
  /** Streamed requests measured per target at concurrency 1. */
  readonly streams: number;
  /** Content frames per stream, and the fake backend's pause between them. */
  readonly frames: number;
  readonly frameGapMs: number;
  /** Profile the extproc (a separate run under `node --cpu-prof`). */
  readonly shouldProfile: boolean;
  /** Seconds per profiled phase. */
  readonly profileDurationS: number;
  readonly extprocFrom: 'dist' | 'source';
  /** Turn on Envoy's ext_proc graceful stream close (a variant; the default is the e2e shape). */
  readonly isGracefulClose: boolean;
  /**
   * Scheduling priority for this process and, inherited, every child it starts (negative values
   * need root or CAP_SYS_NICE): on a machine shared with other work, e.g. -10 keeps others'
   * processes from inflating the hops the gateway adds. 0 leaves it alone.
   */
  readonly nice: number;
  /** Write bench/results/*.json and docs/benchmarks.md. */
  readonly shouldWrite: boolean;
  /** The command line, for the record. */
  readonly command: string;
}

/** The `--help` text. */
export const usage = `pnpm bench [options]

  --quick                 smoke run (~20 s): small counts, every figure still printed
  --warmup <n>            non-streamed warm-up requests per target   (200; quick 50)
  --requests <n>          non-streamed requests at concurrency 1     (2000; quick 300)
  --concurrency <n>       workers of the throughput phase            (16)
  --duration <s>          throughput phase per target, seconds       (10; quick 2)
  --rounds <n>            slices per phase, alternating targets      (4; quick 2)
  --stream-warmup <n>     streamed warm-up requests per target       (20; quick 5)
  --streams <n>           streamed requests at concurrency 1         (300; quick 30)
  --frames <n>            SSE content frames per stream              (20)
  --frame-gap-ms <ms>     pause between frames at the fake backend   (1)
  --profile-duration <s>  profiled phase length, seconds             (10; quick 2)
  --no-profile            skip the node --cpu-prof run
  --extproc <dist|source> run apps/extproc/dist, built first (default, as deployed), or its
                          sources through tsx (no build; source maps make errors dearer)
  --graceful-close        variant: the gateway Envoy half-closes ext_proc streams instead of
                          resetting them (runtime guard ext_proc_graceful_grpc_close)
  --nice <n>              run this process and its children at nice n, e.g. -10 on a busy
                          machine (negative needs root/CAP_SYS_NICE)                 (0)
  --write / --no-write    write bench/results and docs/benchmarks.md (default: full runs only)
`;

const full = {
  warmup: 200,
  requests: 2000,
  concurrency: 16,
  duration: 10,
  rounds: 4,
  'stream-warmup': 20,
  streams: 300,
  frames: 20,
  'frame-gap-ms': 1,
  'profile-duration': 10,
};
const quick: typeof full = {
  ...full,
  warmup: 50,
  requests: 300,
  duration: 2,
  rounds: 2,
  'stream-warmup': 5,
  streams: 30,
  'profile-duration': 2,
};
type NumberFlag = keyof typeof full;

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
  const isCount = flag !== 'frame-gap-ms';
  if (!Number.isFinite(value) || value < 0 || (isCount && value < 1))
    throw new UsageError(`--${flag} must be a ${isCount ? 'positive' : 'non-negative'} number`);
  return value;
}

/** Parses the command line (flags only; positional arguments are refused). */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const numberOptions = Object.fromEntries(
    Object.keys(full).map((flag) => [flag, { type: 'string' as const }]),
  );
  const { values } = parseArgs({
    args: [...argv],
    allowNegative: true,
    options: {
      ...numberOptions,
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: true },
      'graceful-close': { type: 'boolean', default: false },
      write: { type: 'boolean' },
      nice: { type: 'string', default: '0' },
      extproc: { type: 'string', default: 'dist' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const isQuick = values.quick;
  const defaults = isQuick ? quick : full;
  const get = (flag: NumberFlag): number => numberFlag(values, flag, defaults);
  const extprocFrom = values.extproc;
  if (extprocFrom !== 'dist' && extprocFrom !== 'source')
    throw new UsageError('--extproc must be dist or source');
  const nice = Number(values.nice);
  if (!Number.isInteger(nice) || nice < -20 || nice > 19)
    throw new UsageError('--nice must be an integer from -20 to 19');
  const rest = argv.length > 0 ? ` ${argv.join(' ')}` : '';
  return {
    isQuick,
    warmup: get('warmup'),
    requests: get('requests'),
    concurrency: get('concurrency'),
    durationS: get('duration'),
    rounds: get('rounds'),
    streamWarmup: get('stream-warmup'),
    streams: get('streams'),
    frames: get('frames'),
    frameGapMs: get('frame-gap-ms'),
    shouldProfile: values.profile,
    profileDurationS: get('profile-duration'),
    extprocFrom,
    isGracefulClose: values['graceful-close'],
    nice,
    shouldWrite: typeof values.write === 'boolean' ? values.write : !isQuick,
    command: `pnpm bench${rest}`,
  };
}
