import { upstreamHttpFilters } from '@aigw/gateway-config';
import { envoyFilters } from '@aigw/proto';
import { describe, expect, it } from 'vitest';

import { upstreamExtProcFilter } from '../src/xds/filters.js';

const { ProcessingMode_HeaderSendMode: Header, ProcessingMode_BodySendMode: Body } =
  envoyFilters.processingMode;

/** The hook's upstream ext_proc processing mode, in Envoy's JSON names (what `aigw run` writes). */
function hookMode(hasFirstTokenGate: boolean): Record<string, string> {
  const filter = upstreamExtProcFilter({ hasFirstTokenGate });
  const config = filter.configType?.$case === 'typedConfig' ? filter.configType.value : undefined;
  if (!config) throw new Error('the upstream ext_proc has no typed config');
  const mode = envoyFilters.extProc.ExternalProcessor.decode(config.value).processingMode;
  return {
    request_header_mode: Header[mode?.requestHeaderMode ?? Header.DEFAULT],
    request_body_mode: Body[mode?.requestBodyMode ?? Body.NONE],
    response_header_mode: Header[mode?.responseHeaderMode ?? Header.DEFAULT],
    response_body_mode: Body[mode?.responseBodyMode ?? Body.NONE],
  };
}

function aigwRunMode(hasFirstTokenGate: boolean): Record<string, string> {
  const [extProc] = upstreamHttpFilters({ hasFirstTokenGate });
  if (extProc?.name !== 'envoy.filters.http.ext_proc') throw new Error('no upstream ext_proc');
  return {
    ...(extProc.typed_config as { processing_mode: Record<string, string> }).processing_mode,
  };
}

describe('first-token gate: the upstream ext_proc of both paths', () => {
  it.each([false, true])(
    'the hook and aigw run configure the same modes (fallback tier: %s)',
    (hasFirstTokenGate) => {
      expect(hookMode(hasFirstTokenGate)).toEqual(aigwRunMode(hasFirstTokenGate));
    },
  );

  it('marks only a cluster with a fallback tier, by a STREAMED response body (the extproc overrides it)', () => {
    expect(hookMode(false).response_body_mode).toBe('NONE');
    expect(hookMode(true)).toEqual({
      request_header_mode: 'SEND',
      request_body_mode: 'NONE',
      response_header_mode: 'SKIP',
      response_body_mode: 'STREAMED',
    });
  });
});
