/**
 * A small generic conformance runner for the endpoints that are not chat (`/v1/embeddings`,
 * `/v1/completions`): each suite has its own neutral request / response types, one ingress codec
 * (the client's dialect) and one backend codec per pair. The chat suite (`conformance.ts`) keeps
 * its richer runner; both produce {@link MatrixSection}s for `docs/translation-matrix.md`.
 *
 * Besides `skip` (not run, with a reason), a pair may list cases it `refuse`s: the backend cannot
 * do them, and the runner asserts the translator says so with a user-facing 400 (the matrix shows
 * "refused", never "pass").
 */
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { utf8Encoder } from '../shared/bytes.js';
import type {
  BackendSchemaName,
  Endpoint,
  ParsedRequest,
  TranslatedRequest,
  Translator,
} from '../translator.js';
import type { Usage } from '../usage.js';
import {
  chunkSizes,
  feedChunked,
  type CaseOutcome,
  type ConformanceSkip,
  type WireResponse,
} from './conformance.js';
import { assertEqual, ConformanceError, type NeutralError } from './neutral.js';

/** A case's name and what it checks (a matrix row). */
export interface CaseInfo {
  /** Stable name. */
  readonly name: string;
  /** One-line description of the behaviour. */
  readonly description: string;
}

/** One column of a matrix table: a pair and its outcome per case. */
export interface MatrixColumn {
  /** `<ingress> → <backend>`. */
  readonly name: string;
  /** The registered backend schema the pair exercises. */
  readonly schema: BackendSchemaName;
  /** Outcome per case name. */
  readonly outcomes: ReadonlyMap<string, CaseOutcome>;
}

/** One table of the matrix: an ingress endpoint's pairs × its cases. */
export interface MatrixSection {
  /** The ingress endpoint. */
  readonly endpoint: Endpoint;
  /** Section heading. */
  readonly title: string;
  /** Rows. */
  readonly cases: readonly CaseInfo[];
  /** Columns. */
  readonly columns: readonly MatrixColumn[];
}

/** A non-2xx provider answer: body and headers as the provider sends them. */
export interface WireError {
  /** Response headers (lowercase names), content-type included. */
  readonly headers: ReadonlyMap<string, string>;
  /** Body bytes. */
  readonly body: Uint8Array;
}

/** The client side of a suite. */
export interface SuiteIngress<Req, View> {
  /** The ingress endpoint. */
  readonly endpoint: Endpoint;
  /** The ingress path. */
  readonly path: string;
  /** Encodes a neutral request as the client's body. */
  encodeRequest(request: Req): Record<string, unknown>;
  /** Reads a translated response as the client would. */
  readResponse(body: Uint8Array, stream: boolean): View;
  /** Reads a translated error body: its message. */
  readError(body: Uint8Array): string;
}

/** The provider side of a pair. */
export interface SuiteBackend<Up, Res> {
  /** Reads what the provider received (path and body) into the neutral view. */
  readRequest(translated: TranslatedRequest, original: ParsedRequest): Up;
  /** Encodes the provider's answer for the request it received. */
  encodeResponse(response: Res, upstream: Up): WireResponse;
  /** Encodes a provider error. */
  encodeError(error: NeutralError): WireError;
}

/** Input of {@link SuiteCase.checkResponse}. */
export interface SuiteCheck<Res, View> {
  /** What the client decoded. */
  readonly client: View;
  /** What the translator reported to the gateway. */
  readonly usage: Usage | undefined;
  /** What the provider answered. */
  readonly response: Res;
}

/** One behavioural case of a suite. */
export interface SuiteCase<Req, Up, Res, View> extends CaseInfo {
  /** The client request. */
  readonly request: Req;
  /** Whether the client asks for a stream. */
  readonly stream?: boolean;
  /** Checks what the provider received. */
  readonly checkRequest?: (upstream: Up) => void;
  /** The provider's answer. */
  readonly response?: Res;
  /** A whole non-2xx provider error instead of a response. */
  readonly error?: NeutralError;
  /** Checks what the client and the gateway got. */
  readonly checkResponse?: (check: SuiteCheck<Res, View>) => void;
}

/** A translator pair under a suite. */
export interface SuitePair<Up, Res> {
  /** `<ingress> → <backend>`. */
  readonly name: string;
  /** The registered backend schema it exercises. */
  readonly schema: BackendSchemaName;
  /** Provider side. */
  readonly backend: SuiteBackend<Up, Res>;
  /** A fresh translator for one attempt. */
  create(): Translator;
  /** Cases not run, with reasons. */
  readonly skip: readonly ConformanceSkip[];
  /** Cases the backend cannot do: the translator must refuse them with a user-facing 400. */
  readonly refuse?: readonly ConformanceSkip[];
}

/** A conformance suite for one ingress endpoint. */
export interface EndpointSuite<Req, Up, Res, View> {
  /** Matrix section heading. */
  readonly title: string;
  /** Client side. */
  readonly ingress: SuiteIngress<Req, View>;
  /** The cases. */
  readonly cases: readonly SuiteCase<Req, Up, Res, View>[];
  /** The pairs. */
  readonly pairs: readonly SuitePair<Up, Res>[];
}

/** A suite with its type parameters erased (for lists of suites). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous suites in one list
export type AnySuite = EndpointSuite<any, any, any, any>;

/** Asserts `translate` throws a user-facing 400 with a message. */
function assertRefused(translate: () => unknown): void {
  try {
    translate();
  } catch (err) {
    if (isUserFacing(err) && err.status === 400 && err.message.trim() !== '') {
      return;
    }
    throw new ConformanceError(`expected a user-facing 400, got ${String(err)}`);
  }
  throw new ConformanceError('expected a user-facing 400, but the request was translated');
}

interface CaseRun<Req, Up, Res, View> {
  readonly suite: EndpointSuite<Req, Up, Res, View>;
  readonly pair: SuitePair<Up, Res>;
  readonly testCase: SuiteCase<Req, Up, Res, View>;
}

/** Runs one case body; throws on failure. */
function runCase<Req, Up, Res, View>(run: CaseRun<Req, Up, Res, View>, refused: boolean): void {
  const { suite, pair, testCase } = run;
  const { ingress } = suite;
  const raw = utf8Encoder.encode(JSON.stringify(ingress.encodeRequest(testCase.request)));
  // The path too: Gemini endpoints take the model from it.
  const parsed = parseRequest(ingress.endpoint, raw, { path: ingress.path });
  const translate = (translator: Translator): TranslatedRequest =>
    translator.request({ request: parsed, path: ingress.path, headers: new Map() });
  if (refused) {
    assertRefused(() => translate(pair.create()));
    return;
  }
  const upstream = pair.backend.readRequest(translate(pair.create()), parsed);
  testCase.checkRequest?.(upstream);
  if (testCase.error !== undefined) {
    const translator = pair.create();
    translate(translator);
    const wire = pair.backend.encodeError(testCase.error);
    const out = translator.responseError(testCase.error.status, wire.headers, wire.body);
    assertEqual(out.status, testCase.error.status, 'error status');
    const message = ingress.readError(out.body);
    if (!message.includes(testCase.error.message)) {
      throw new ConformanceError(`error message "${message}" lacks "${testCase.error.message}"`);
    }
    return;
  }
  const response = testCase.response;
  if (response === undefined) return;
  const stream = testCase.stream === true;
  for (const chunkSize of chunkSizes) {
    const translator = pair.create();
    translate(translator);
    const wire = pair.backend.encodeResponse(response, upstream);
    const got = feedChunked({ translator, wire, chunkSize });
    const expectedType = stream ? 'text/event-stream' : 'application/json';
    if (!got.contentType.startsWith(expectedType)) {
      throw new ConformanceError(`client content-type ${got.contentType}, want ${expectedType}`);
    }
    const client = ingress.readResponse(got.body, stream);
    testCase.checkResponse?.({ client, usage: got.usage, response });
  }
}

function reasonIn(list: readonly ConformanceSkip[] | undefined, name: string): string | undefined {
  return list?.find((s) => s.tests.includes(name))?.reason;
}

/** Runs one case against a pair (honouring skips and refusals). */
export function runSuiteCase<Req, Up, Res, View>(run: CaseRun<Req, Up, Res, View>): CaseOutcome {
  const { pair, testCase } = run;
  const skipped = reasonIn(pair.skip, testCase.name);
  if (skipped !== undefined) {
    return { status: 'skip', reason: skipped };
  }
  const refusal = reasonIn(pair.refuse, testCase.name);
  try {
    runCase(run, refusal !== undefined);
    return refusal === undefined ? { status: 'pass' } : { status: 'refused', reason: refusal };
  } catch (error) {
    return { status: 'fail', error };
  }
}

/** Runs a whole suite into its matrix section. */
export function suiteSection<Req, Up, Res, View>(
  suite: EndpointSuite<Req, Up, Res, View>,
): MatrixSection {
  return {
    endpoint: suite.ingress.endpoint,
    title: suite.title,
    cases: suite.cases,
    columns: suite.pairs.map((pair) => ({
      name: pair.name,
      schema: pair.schema,
      outcomes: new Map(
        suite.cases.map((testCase) => [testCase.name, runSuiteCase({ suite, pair, testCase })]),
      ),
    })),
  };
}

/** The gateway's usage as `{ input, output, total }` (for comparisons). */
export function gatewayUsage(
  usage: Usage | undefined,
): { input: number; output: number; total: number } | undefined {
  return usage === undefined
    ? undefined
    : { input: usage.inputTokens, output: usage.outputTokens, total: usage.totalTokens };
}
