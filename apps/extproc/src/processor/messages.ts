import { envoyConfig, extProc } from '@aigw/proto';
import type { ErrorResponse, HeaderChanges } from '@aigw/translator';

const { OVERWRITE_IF_EXISTS_OR_ADD } = envoyConfig.HeaderValueOption_HeaderAppendAction;
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

/** Merges translator header changes with extra headers to set. */
export function mutationOf(
  changes: HeaderChanges | undefined,
  extra: readonly HeaderEntry[] = [],
): extProc.HeaderMutation | undefined {
  const set = [...(changes?.set ?? []), ...extra];
  const remove = changes?.remove ?? [];
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

/** Builds the one response Envoy expects for a headers or body message. */
export function commonResponse(options: CommonOptions): extProc.ProcessingResponse {
  const response: extProc.CommonResponse = {
    status: options.isReplace
      ? CONTINUE_AND_REPLACE
      : extProc.CommonResponse_ResponseStatus.CONTINUE,
    headerMutation: options.mutation,
    bodyMutation: options.body
      ? {
          mutation: {
            $case: 'body',
            value: Buffer.from(
              options.body.buffer,
              options.body.byteOffset,
              options.body.byteLength,
            ),
          },
        }
      : undefined,
    trailers: undefined,
    clearRouteCache: options.clearRouteCache ?? false,
  };
  return extProc.ProcessingResponse.fromPartial({
    response: { $case: options.phase, value: { response } },
    dynamicMetadata: options.dynamicMetadata,
    modeOverride: options.modeOverride,
  });
}

/** A bare CONTINUE for a phase, shared because it never changes. */
export const continueResponses: Readonly<Record<Phase, extProc.ProcessingResponse>> = {
  requestHeaders: commonResponse({ phase: 'requestHeaders' }),
  responseHeaders: commonResponse({ phase: 'responseHeaders' }),
  requestBody: commonResponse({ phase: 'requestBody' }),
  responseBody: commonResponse({ phase: 'responseBody' }),
};

/** An immediate (local) reply with an error body in the client's dialect. */
export function immediateResponse(
  error: ErrorResponse,
  details: string,
): extProc.ProcessingResponse {
  return extProc.ProcessingResponse.fromPartial({
    response: {
      $case: 'immediateResponse',
      value: {
        status: { code: error.status },
        headers: headerMutation([['content-type', error.contentType]]),
        body: Buffer.from(error.body.buffer, error.body.byteOffset, error.body.byteLength),
        details,
      },
    },
  });
}
