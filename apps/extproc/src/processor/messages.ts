import * as extProc from '@aigw/proto/ext-proc-service';
import type { ErrorResponse, HeaderChanges } from '@aigw/translator';

const { OVERWRITE_IF_EXISTS_OR_ADD } = extProc.HeaderValueOption_HeaderAppendAction;
const { CONTINUE_AND_REPLACE } = extProc.CommonResponse_ResponseStatus;

/** A header to set: name and value. */
export type HeaderEntry = readonly [name: string, value: string];

/** Reads an ext_proc header map into a Map (Envoy sends values in `raw_value`, keys lower-cased). */
export function headerMap(headers: extProc.HttpHeaders | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const header of headers?.headers?.headers ?? []) {
    map.set(
      header.key,
      header.rawValue.length > 0 ? header.rawValue.toString('utf8') : header.value,
    );
  }
  return map;
}

/** A header mutation that overwrites (or adds) `set` and removes `remove`. */
export function headerMutation(
  set: readonly HeaderEntry[],
  remove: readonly string[] = [],
): extProc.HeaderMutation {
  return {
    setHeaders: set.map(([key, value]) => ({
      header: { key, value: '', rawValue: Buffer.from(value) },
      appendAction: OVERWRITE_IF_EXISTS_OR_ADD,
      keepEmptyValue: false,
    })),
    removeHeaders: [...remove],
  };
}

/** Merges translator header changes with extra headers to set and to remove. */
export function mutationOf(
  changes: HeaderChanges | undefined,
  extra: readonly HeaderEntry[] = [],
  extraRemove: readonly string[] = [],
): extProc.HeaderMutation | undefined {
  const set = [...(changes?.set ?? []), ...extra];
  const remove = [...(changes?.remove ?? []), ...extraRemove];
  return set.length || remove.length ? headerMutation(set, remove) : undefined;
}

type Phase = 'requestHeaders' | 'responseHeaders' | 'requestBody' | 'responseBody';

/** Options of {@link commonResponse}. */
export interface CommonOptions {
  readonly phase: Phase;
  readonly mutation?: extProc.HeaderMutation | undefined;
  readonly body?: Uint8Array | undefined;
  /** Headers phase only: replace the body and stop further messages in this direction. */
  readonly isReplace?: boolean;
  readonly clearRouteCache?: boolean;
  readonly dynamicMetadata?: Record<string, unknown> | undefined;
  readonly modeOverride?: extProc.ProcessingMode | undefined;
}

/** A ProcessingResponse with every field the encoder reads, built without `fromPartial`'s copy. */
function processingResponse(
  response: extProc.ProcessingResponse['response'],
  extra: Pick<extProc.ProcessingResponse, 'dynamicMetadata' | 'modeOverride'> = {},
): extProc.ProcessingResponse {
  return {
    response,
    dynamicMetadata: extra.dynamicMetadata,
    typedDynamicMetadata: {},
    modeOverride: extra.modeOverride,
    overrideMessageTimeout: undefined,
    // Deprecated in the proto, still a required field of the generated type; false is "not set".
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    requestDrain: false,
    requestDrainRequests: false,
    requestDrainResponses: false,
    serverWindowUpdate: undefined,
  };
}

function isBareContinue(options: CommonOptions): boolean {
  return (
    !options.mutation &&
    !options.body &&
    options.isReplace !== true &&
    options.clearRouteCache !== true &&
    !options.dynamicMetadata &&
    !options.modeOverride
  );
}

/**
 * Builds the one response Envoy expects for a headers or body message; a bare CONTINUE is the
 * shared pre-encoded constant.
 */
export function commonResponse(options: CommonOptions): extProc.ProcessingResponse {
  if (isBareContinue(options)) return continueResponses[options.phase];
  return buildCommonResponse(options);
}

function buildCommonResponse(options: CommonOptions): extProc.ProcessingResponse {
  const { body } = options;
  const response: extProc.CommonResponse = {
    status: options.isReplace
      ? CONTINUE_AND_REPLACE
      : extProc.CommonResponse_ResponseStatus.CONTINUE,
    headerMutation: options.mutation,
    bodyMutation: body
      ? {
          mutation: {
            $case: 'body',
            value: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          },
        }
      : undefined,
    trailers: undefined,
    clearRouteCache: options.clearRouteCache ?? false,
  };
  return processingResponse(
    { $case: options.phase, value: { response } },
    { dynamicMetadata: options.dynamicMetadata, modeOverride: options.modeOverride },
  );
}

// Responses that never change are encoded once: `serializeResponse` sends their bytes as they are.
const preEncoded = new WeakMap<extProc.ProcessingResponse, Buffer>();

// One writer for every response: its buffer keeps the size it grew to, where a fresh writer per
// message starts empty and grows by doubling (`ensureCapacity` was a quarter of encoding time).
// Encoding is synchronous, so no two responses ever share it at once.
const writer = extProc.ProcessingResponse.encode(extProc.ProcessingResponse.fromPartial({}));
writer.finish();

function encode(response: extProc.ProcessingResponse): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = extProc.ProcessingResponse.encode(response, writer).finish();
  } catch (err) {
    writer.finish(); // reset a half-written message
    throw err;
  }
  // finish() returned a copy of the writer's bytes: wrap it without copying again (grpc-js copies
  // it into its frame).
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Registers `response` as a constant: encoded now, never again. Returns it, frozen. */
export function constantResponse(response: extProc.ProcessingResponse): extProc.ProcessingResponse {
  preEncoded.set(response, encode(response));
  return Object.freeze(response);
}

/**
 * The ext_proc service's response serializer: a constant's bytes, encoded once; anything else
 * encoded without the extra copy of the generated serializer (`Buffer.from(Uint8Array)`).
 */
export function serializeResponse(response: extProc.ProcessingResponse): Buffer {
  return preEncoded.get(response) ?? encode(response);
}

/** A bare CONTINUE for a phase, shared (and pre-encoded) because it never changes. */
export const continueResponses: Readonly<Record<Phase, extProc.ProcessingResponse>> = {
  requestHeaders: constantResponse(buildCommonResponse({ phase: 'requestHeaders' })),
  responseHeaders: constantResponse(buildCommonResponse({ phase: 'responseHeaders' })),
  requestBody: constantResponse(buildCommonResponse({ phase: 'requestBody' })),
  responseBody: constantResponse(buildCommonResponse({ phase: 'responseBody' })),
};

/**
 * The response header that marks a reply already in the client's dialect: set by `aigw run`'s
 * local-reply mappers on Envoy's own errors and by the upstream level on its immediate replies.
 * The router level passes such a response through untranslated and removes the header.
 */
export const localReplyHeader = 'x-aigw-local-reply';

/** Where an immediate reply is sent from. */
export type ReplyLevel = 'router' | 'upstream';

/**
 * An immediate (local) reply with an error body in the client's dialect. An upstream-level reply
 * does not go to the client directly: Envoy's router takes it as the upstream's response and the
 * router level then sees it like a provider's, so it carries {@link localReplyHeader} to be
 * passed through as it is — one level of JSON, not an error wrapped in another error's message.
 */
export function immediateResponse(
  error: ErrorResponse,
  details: string,
  level: ReplyLevel = 'router',
): extProc.ProcessingResponse {
  const headers: HeaderEntry[] = [['content-type', error.contentType]];
  if (level === 'upstream') headers.push([localReplyHeader, 'true']);
  return extProc.ProcessingResponse.fromPartial({
    response: {
      $case: 'immediateResponse',
      value: {
        status: { code: error.status },
        headers: headerMutation(headers),
        body: Buffer.from(error.body.buffer, error.body.byteOffset, error.body.byteLength),
        details,
      },
    },
  });
}
