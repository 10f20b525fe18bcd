/**
 * The shared conformance suite (after hono's `common.case.test.ts`): behavioural cases written
 * once in neutral terms and run against every (ingress, backend) translator pair through a
 * per-pair adapter. A pair lists the cases it cannot pass in `skip`, each with a reason; the
 * translation matrix (`docs/translation-matrix.md`) is generated from the same run.
 *
 * The runner is framework-free (failures are thrown {@link ConformanceError}s), so vitest and the
 * matrix script share it.
 */
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { concatBytes, utf8Encoder } from '../shared/bytes.js';
import type {
  BackendSchemaName,
  Endpoint,
  ParsedRequest,
  TranslatedRequest,
  Translator,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { conformanceCases, type ConformanceCase } from './cases.js';
import { withMintedIdsReplaced, withRequestIdsRestored } from './tool-call-ids.js';
import {
  assertEqual,
  ConformanceError,
  type ClientView,
  type NeutralError,
  type NeutralRequest,
  type NeutralResponse,
  type UpstreamView,
} from './neutral.js';

/** An encoded response as the provider sends it. */
export interface WireResponse {
  /** `content-type` header. */
  readonly contentType: string;
  /** Body bytes. */
  readonly body: Uint8Array;
}

/** How a backend speaks: reads requests sent to it, writes its responses. */
export interface BackendCodec {
  /** Reads the translated request (path, body) into the neutral view. */
  readRequest(translated: TranslatedRequest, original: ParsedRequest): UpstreamView;
  /** Encodes a response (JSON or the provider's stream format). */
  encodeResponse(response: NeutralResponse, stream: boolean): WireResponse;
  /** Encodes a whole non-2xx error body. */
  encodeError(error: NeutralError): Uint8Array;
  /**
   * How the provider identifies tool calls: `'wire'` (the default: ids travel with calls and
   * results) or `'by-name'` (none on the wire: results are matched to calls by function name, and
   * the gateway mints the ids its clients see). For `'by-name'` the codec reads the function name
   * as the id; the runner then checks the pairing by name and compares minted ids by shape
   * (present, unique) instead of value. See `tool-call-ids.ts`.
   */
  readonly toolCallIds?: 'wire' | 'by-name';
}

/** How a client dialect speaks: writes requests, reads responses. */
export interface IngressCodec {
  /** The ingress endpoint. */
  readonly endpoint: Endpoint;
  /** The ingress path. */
  readonly path: string;
  /**
   * The path for one request, where the dialect puts request fields in it (Gemini: the model
   * and the streaming method); {@link path} otherwise.
   */
  pathFor?(request: NeutralRequest): string;
  /** Encodes a neutral request as this dialect's body. */
  encodeRequest(request: NeutralRequest): Record<string, unknown>;
  /** Reads a (translated) response body. */
  readResponse(body: Uint8Array, stream: boolean): ClientView;
  /** Reads a (translated) whole error body: its message. */
  readError(body: Uint8Array): string;
}

/** Cases a pair does not pass, with the reason. */
export interface ConformanceSkip {
  /** Why (shown in the matrix). */
  readonly reason: string;
  /** Case names. */
  readonly tests: readonly string[];
}

/** A translator pair under test. */
export interface ConformancePair {
  /** `<ingress> → <backend>`, e.g. `openai → anthropic`. */
  readonly name: string;
  /** The registered backend schema it exercises (with `ingress.endpoint`: the registry pair). */
  readonly schema: BackendSchemaName;
  /** Client side. */
  readonly ingress: IngressCodec;
  /** Provider side. */
  readonly backend: BackendCodec;
  /** A fresh translator for one attempt. */
  create(): Translator;
  /** Cases not passed, with reasons. */
  readonly skip: readonly ConformanceSkip[];
}

/** Outcome of one case for one pair. */
export type CaseOutcome =
  | { readonly status: 'pass' }
  | { readonly status: 'skip'; readonly reason: string }
  /** The backend cannot do it and the translator refused it with a user-facing 400, as it must. */
  | { readonly status: 'refused'; readonly reason: string }
  | { readonly status: 'fail'; readonly error: unknown };

/** Chunk sizes each response is fed in: whole, and small pieces that split frames anywhere. */
export const chunkSizes = [Number.POSITIVE_INFINITY, 7] as const;

/** What a translator made of a response fed in chunks. */
export interface FedResponse {
  /** The bytes the client receives. */
  readonly body: Uint8Array;
  /** The usage reported with the last chunk. */
  readonly usage: Usage | undefined;
  /** The client's content-type. */
  readonly contentType: string;
}

/** Feeds a provider response to a translator in `chunkSize` pieces, as Envoy would. */
export function feedChunked(options: {
  translator: Translator;
  wire: WireResponse;
  chunkSize: number;
}): FedResponse {
  const { translator, wire, chunkSize } = options;
  const headers = translator.responseHeaders(200, new Map([['content-type', wire.contentType]]));
  const set = headers.headers.set.find(([name]) => name === 'content-type');
  const contentType = set?.[1] ?? wire.contentType;
  const parts: Uint8Array[] = [];
  let usage: Usage | undefined;
  const length = wire.body.length;
  const size = Number.isFinite(chunkSize) ? chunkSize : Math.max(length, 1);
  let at = 0;
  do {
    const chunk = wire.body.slice(at, at + size);
    at += size;
    const result = translator.responseBody(chunk, at >= length);
    parts.push(result.body ?? chunk);
    usage = result.usage;
  } while (at < length);
  return { body: concatBytes(parts), usage, contentType };
}

/** Checks a provider error reaches the client in its dialect, with its status and message. */
function checkError(
  pair: ConformancePair,
  run: { readonly error: NeutralError; readonly parsed: ParsedRequest; readonly path: string },
): void {
  const { error, parsed, path } = run;
  const translator = pair.create();
  translator.request({ request: parsed, path });
  const out = translator.responseError(
    error.status,
    new Map([['content-type', 'application/json']]),
    pair.backend.encodeError(error),
  );
  assertEqual(out.status, error.status, 'error status');
  const message = pair.ingress.readError(out.body);
  if (!message.includes(error.message)) {
    throw new ConformanceError(`error message "${message}" lacks "${error.message}"`);
  }
}

/** The path a client of `ingress` calls for `request`. */
function ingressPath(ingress: IngressCodec, request: NeutralRequest): string {
  return ingress.pathFor?.(request) ?? ingress.path;
}

/** Runs one case body; throws on failure. */
function runCase(pair: ConformancePair, testCase: ConformanceCase): void {
  const request = testCase.request;
  const raw = utf8Encoder.encode(JSON.stringify(pair.ingress.encodeRequest(request)));
  const path = ingressPath(pair.ingress, request);
  const parsed = parseRequest(pair.ingress.endpoint, raw, { path });
  if (testCase.expectRejected === true) {
    assertRejected(pair, parsed, path);
    return;
  }
  const translated = pair.create().request({ request: parsed, path, headers: new Map() });
  const upstream = pair.backend.readRequest(translated, parsed);
  const isByName = pair.backend.toolCallIds === 'by-name';
  testCase.checkRequest?.(isByName ? withRequestIdsRestored(upstream, request) : upstream);
  if (testCase.error !== undefined) {
    checkError(pair, { error: testCase.error, parsed, path });
    return;
  }
  const response = testCase.response;
  if (response === undefined) {
    return;
  }
  for (const chunkSize of chunkSizes) {
    const translator = pair.create();
    translator.request({ request: parsed, path });
    const wire = pair.backend.encodeResponse(response, request.stream);
    const fed = feedChunked({ translator, wire, chunkSize });
    const got = {
      client: pair.ingress.readResponse(fed.body, request.stream),
      usage: fed.usage,
      contentType: fed.contentType,
    };
    const expectedType = request.stream ? 'text/event-stream' : 'application/json';
    if (!got.contentType.startsWith(expectedType)) {
      throw new ConformanceError(`client content-type ${got.contentType}, want ${expectedType}`);
    }
    const client = isByName ? withMintedIdsReplaced(got.client, response) : got.client;
    testCase.checkResponse?.({ client, usage: got.usage, response });
  }
}

/** Asserts the translator rejects the request with a user-facing 400. */
function assertRejected(pair: ConformancePair, parsed: ParsedRequest, path: string): void {
  try {
    pair.create().request({ request: parsed, path });
  } catch (err) {
    if (isUserFacing(err) && err.status === 400) {
      return;
    }
    throw new ConformanceError(`expected a user-facing 400, got ${String(err)}`);
  }
  throw new ConformanceError('expected a user-facing 400, but the request was translated');
}

/** The skip reason for a case, if the pair skips it. */
export function skipReason(pair: ConformancePair, name: string): string | undefined {
  return pair.skip.find((s) => s.tests.includes(name))?.reason;
}

/** Runs one case against a pair (honouring skips). */
export function runConformanceCase(pair: ConformancePair, testCase: ConformanceCase): CaseOutcome {
  const reason = skipReason(pair, testCase.name);
  if (reason !== undefined) {
    return { status: 'skip', reason };
  }
  try {
    runCase(pair, testCase);
    return { status: 'pass' };
  } catch (error) {
    return { status: 'fail', error };
  }
}

/** Runs every case against a pair. */
export function runConformance(
  pair: ConformancePair,
): { readonly name: string; readonly outcome: CaseOutcome }[] {
  return conformanceCases.map((c) => ({ name: c.name, outcome: runConformanceCase(pair, c) }));
}

export { conformanceCases, type ConformanceCase };
