/**
 * The translator benchmark: for every pair the registry supports, microseconds per request
 * translation and per whole-response translation (small and large bodies), and frames per second
 * through the response-stream translator (a 1,000-frame transcript in the provider's wire
 * format, fed one frame per call as Envoy forwards them). `runTranslatorBench` is the API (the
 * top-level bench runner imports it); `bin.ts` prints and records the figures.
 */
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { parseRequest } from '../src/parse-request.js';
import { createTranslator, hasTranslator } from '../src/registry.js';
import {
  backendSchemaNames,
  endpoints,
  type BackendSchemaName,
  type Endpoint,
  type ParsedRequest,
  type Translator,
} from '../src/translator.js';
import type { Usage } from '../src/usage.js';
import { measure, sinkValue, type Measurement, type Operation, type TimingPlan } from './timing.js';
import { streamFrames, workloadFor, type PairWorkload, type WireBody } from './workloads.js';

/** Input of {@link runTranslatorBench}. */
export interface TranslatorBenchOptions {
  /** A smoke run (under 5 s): short rounds, rough figures; every figure is still produced. */
  readonly quick?: boolean;
  /** Only pairs whose name (`endpoint → Schema`) contains this text. */
  readonly filter?: string;
  /** Called with a line of progress before each pair. */
  readonly onProgress?: (message: string) => void;
}

/** Body sizes of a pair's workload, in bytes. */
export interface WorkloadSizes {
  readonly requestSmall: number;
  readonly requestLarge: number;
  readonly responseSmall: number;
  readonly responseLarge: number;
  /** The whole stream transcript; `undefined` for APIs without streams (embeddings). */
  readonly stream: number | undefined;
}

/** Figures of one (endpoint, backend schema) pair. */
export interface PairResult {
  /** `endpoint → Schema`, e.g. `chat-completions → AWSBedrock`. */
  readonly pair: string;
  readonly endpoint: Endpoint;
  readonly schema: BackendSchemaName;
  /** Median µs to create a translator and translate the small request. */
  readonly requestSmallUs: number;
  /** Median µs for the large request (~200 KB). */
  readonly requestLargeUs: number;
  /** Median µs to translate the small whole response (headers + body). */
  readonly responseSmallUs: number;
  /** Median µs for the large whole response. */
  readonly responseLargeUs: number;
  /** Stream frames translated per second (median round); `undefined` without streams. */
  readonly streamFramesPerSecond: number | undefined;
  readonly sizes: WorkloadSizes;
  /** The raw measurements behind the figures (ns per operation; a stream operation is a whole transcript). */
  readonly measurements: {
    readonly requestSmall: Measurement;
    readonly requestLarge: Measurement;
    readonly responseSmall: Measurement;
    readonly responseLarge: Measurement;
    readonly stream: Measurement | undefined;
  };
}

/** µs to parse a client body (`parseRequest`, done once per request by the router level). */
export interface ParseResult {
  readonly endpoint: Endpoint;
  readonly size: 'small' | 'large';
  readonly bytes: number;
  readonly us: number;
}

/** Where the bench ran: what its figures depend on. */
export interface BenchMachine {
  readonly cpuModel: string;
  readonly nproc: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  /** 1-, 5- and 15-minute load averages when the run started (other work skews figures). */
  readonly loadAverage: readonly number[];
  /** The same at the end of the run. */
  readonly loadAverageEnd: readonly number[];
}

/** Output of {@link runTranslatorBench}. */
export interface TranslatorBenchReport {
  /** ISO time the run started. */
  readonly date: string;
  readonly quick: boolean;
  readonly machine: BenchMachine;
  readonly plan: TimingPlan;
  /** Frames per stream transcript. */
  readonly streamFrames: number;
  readonly parse: readonly ParseResult[];
  readonly pairs: readonly PairResult[];
  /** Wall time of the whole run. */
  readonly durationMs: number;
}

const fullPlan: TimingPlan = { roundMs: 100, rounds: 7, warmupRounds: 2, collectGarbage: true };
const quickPlan: TimingPlan = { roundMs: 2, rounds: 3, warmupRounds: 1, collectGarbage: false };
const gcp = { project: 'bench-project', region: 'us-central1' };
const empty = new Uint8Array(0);

/** Every (endpoint, schema) pair the registry supports, in registry order. */
export function registeredPairs(): { endpoint: Endpoint; schema: BackendSchemaName }[] {
  return endpoints.flatMap((endpoint) =>
    backendSchemaNames
      .filter((name) => hasTranslator({ endpoint, schema: { name } }))
      .map((schema) => ({ endpoint, schema })),
  );
}

/** One pair under test: how to make translators and the parsed requests they translate. */
interface Subject {
  readonly endpoint: Endpoint;
  readonly schema: BackendSchemaName;
  readonly workload: PairWorkload;
  readonly small: ParsedRequest;
  readonly large: ParsedRequest;
  readonly stream: ParsedRequest | undefined;
}

function create(subject: Subject): Translator {
  return createTranslator({ endpoint: subject.endpoint, schema: { name: subject.schema }, gcp });
}

/** A translator that has translated `request` (the untimed part of a response measurement). */
function started(subject: Subject, request: ParsedRequest): Translator {
  const translator = create(subject);
  translator.request({ request, path: subject.workload.path });
  return translator;
}

/** What a client got from one response: its size, and the usage the translator reported last. */
interface Fed {
  readonly bytes: number;
  readonly usage: Usage | undefined;
}

/**
 * Feeds a whole response (one chunk, end of stream) or a stream transcript (one call per frame,
 * then an empty end-of-stream call, as the extproc does when Envoy ends the body).
 */
function feed(translator: Translator, wire: WireBody): Fed {
  translator.responseHeaders(200, new Map([['content-type', wire.contentType]]));
  const isWhole = wire.chunks.length === 1;
  let bytes = 0;
  let usage: Usage | undefined;
  for (const chunk of wire.chunks) {
    const result = translator.responseBody(chunk, isWhole);
    bytes += result.body?.length ?? chunk.length;
    usage = result.usage;
  }
  if (!isWhole) {
    const result = translator.responseBody(empty, true);
    bytes += result.body?.length ?? 0;
    usage = result.usage;
  }
  return { bytes, usage };
}

function requestOperation(subject: Subject, request: ParsedRequest): Operation<undefined> {
  return {
    prepare: () => undefined,
    run: () => create(subject).request({ request, path: subject.workload.path }).body?.length ?? 0,
  };
}

function responseOperation(
  subject: Subject,
  wire: WireBody,
  request: ParsedRequest,
): Operation<Translator> {
  return {
    prepare: () => started(subject, request),
    run: (translator) => feed(translator, wire).bytes,
  };
}

/**
 * Runs each operation once and checks it does real work: requests translate (no 400 from a
 * workload the pair cannot take), responses and streams report usage. A bench of error paths
 * would be meaningless.
 */
function validate(subject: Subject, name: string): void {
  for (const request of [subject.small, subject.large]) {
    create(subject).request({ request, path: subject.workload.path });
  }
  // A token count costs nothing: its answer carries no usage to check.
  if (subject.workload.reportsNoUsage === true) return;
  const check = (request: ParsedRequest, wire: WireBody, what: string): void => {
    if (feed(started(subject, request), wire).usage === undefined) {
      throw new Error(`${name}: the ${what} reported no usage (is the workload well-formed?)`);
    }
  };
  check(subject.small, subject.workload.responses.small, 'small response');
  check(subject.small, subject.workload.responses.large, 'large response');
  if (subject.stream !== undefined && subject.workload.stream !== undefined) {
    check(subject.stream, subject.workload.stream, 'stream');
  }
}

function bytesOf(wire: WireBody | undefined): number | undefined {
  return wire?.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
}

/** What `parseRequest` needs besides the body: the content-type, and the path (Gemini). */
function parseOptions(
  workload: PairWorkload,
  isStream: boolean,
): { contentType: string | undefined; path: string } {
  return {
    contentType: workload.requestContentType,
    path: isStream ? (workload.streamPath ?? workload.path) : workload.path,
  };
}

function subjectFor(endpoint: Endpoint, schema: BackendSchemaName): Subject {
  const workload = workloadFor(endpoint, schema);
  return {
    endpoint,
    schema,
    workload,
    small: parseRequest(endpoint, workload.requests.small, parseOptions(workload, false)),
    large: parseRequest(endpoint, workload.requests.large, parseOptions(workload, false)),
    stream:
      workload.streamRequest === undefined
        ? undefined
        : parseRequest(endpoint, workload.streamRequest, parseOptions(workload, true)),
  };
}

const us = (m: Measurement): number => m.medianNs / 1000;

function benchPair(subject: Subject, plan: TimingPlan): PairResult {
  const { endpoint, schema, workload } = subject;
  const pair = `${endpoint} → ${schema}`;
  validate(subject, pair);
  const requestSmall = measure(requestOperation(subject, subject.small), plan);
  const requestLarge = measure(requestOperation(subject, subject.large), plan);
  const responseSmall = measure(
    responseOperation(subject, workload.responses.small, subject.small),
    plan,
  );
  const responseLarge = measure(
    responseOperation(subject, workload.responses.large, subject.small),
    plan,
  );
  const stream =
    subject.stream === undefined || workload.stream === undefined
      ? undefined
      : measure(responseOperation(subject, workload.stream, subject.stream), plan);
  const frames = workload.stream?.chunks.length ?? 0;
  return {
    pair,
    endpoint,
    schema,
    requestSmallUs: us(requestSmall),
    requestLargeUs: us(requestLarge),
    responseSmallUs: us(responseSmall),
    responseLargeUs: us(responseLarge),
    streamFramesPerSecond: stream === undefined ? undefined : frames / (stream.medianNs / 1e9),
    sizes: {
      requestSmall: workload.requests.small.length,
      requestLarge: workload.requests.large.length,
      responseSmall: bytesOf(workload.responses.small) ?? 0,
      responseLarge: bytesOf(workload.responses.large) ?? 0,
      stream: bytesOf(workload.stream),
    },
    measurements: { requestSmall, requestLarge, responseSmall, responseLarge, stream },
  };
}

/** `parseRequest` cost per ingress endpoint, on the first subject of each endpoint. */
function benchParse(subjects: readonly Subject[], plan: TimingPlan): ParseResult[] {
  const seen = new Set<Endpoint>();
  const out: ParseResult[] = [];
  for (const subject of subjects) {
    if (seen.has(subject.endpoint)) continue;
    seen.add(subject.endpoint);
    for (const size of ['small', 'large'] as const) {
      const raw = subject.workload.requests[size];
      const options = parseOptions(subject.workload, false);
      const run = (): number => parseRequest(subject.endpoint, raw, options).raw.length;
      const m = measure({ prepare: () => undefined, run }, plan);
      out.push({ endpoint: subject.endpoint, size, bytes: raw.length, us: us(m) });
    }
  }
  return out;
}

function machine(): BenchMachine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    nproc: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    loadAverageEnd: [],
  };
}

/**
 * Runs the translator benchmark over every registered pair (or those matching `filter`) and
 * returns the figures. Synchronous and self-contained: no files, no network, no child processes.
 */
export function runTranslatorBench(options: TranslatorBenchOptions = {}): TranslatorBenchReport {
  const started = performance.now();
  const date = new Date().toISOString();
  const atStart = machine();
  const plan = options.quick === true ? quickPlan : fullPlan;
  const subjects = registeredPairs()
    .filter(({ endpoint, schema }) => `${endpoint} → ${schema}`.includes(options.filter ?? ''))
    .map(({ endpoint, schema }) => subjectFor(endpoint, schema));
  const pairs = subjects.map((subject) => {
    options.onProgress?.(`${subject.endpoint} → ${subject.schema}`);
    return benchPair(subject, plan);
  });
  const parse = benchParse(subjects, plan);
  // Reading the sink keeps every timed result observable.
  if (Number.isNaN(sinkValue())) throw new Error('unreachable');
  return {
    date,
    quick: options.quick === true,
    machine: { ...atStart, loadAverageEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
    plan,
    streamFrames,
    parse,
    pairs,
    durationMs: Math.round(performance.now() - started),
  };
}
