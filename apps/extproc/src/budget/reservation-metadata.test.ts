import { FilterConfigSchema, type FilterConfigInput } from '@aigw/filterapi';
import { extProc } from '@aigw/proto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RequestContexts } from '../processor/request-context.js';
import { RouterProcessor } from '../processor/router-processor.js';
import { buildRuntimeConfig } from '../runtime/runtime-config.js';
import { reservedTokensKey } from './estimate.js';

async function routerFor(extra: Partial<FilterConfigInput>) {
  const runtime = await buildRuntimeConfig(
    FilterConfigSchema.parse({ version: 'v1', backends: [], ...extra }),
  );
  return new RouterProcessor({
    contexts: new RequestContexts(),
    runtime: () => runtime,
    log: pino({ level: 'silent' }),
  });
}

const path = '/v1/chat/completions';

/** The dynamic metadata of the router's answer to a chat request's body. */
async function metadataOfChat(extra: Partial<FilterConfigInput>): Promise<unknown> {
  const router = await routerFor(extra);
  router.requestHeaders(
    extProc.HttpHeaders.fromPartial({
      headers: {
        headers: [
          { key: ':path', rawValue: Buffer.from(path) },
          { key: ':method', rawValue: Buffer.from('POST') },
        ],
      },
    }),
  );
  const body = { model: 'gpt-a', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };
  const response = router.requestBody(
    extProc.HttpBody.fromPartial({ body: Buffer.from(JSON.stringify(body)), endOfStream: true }),
  );
  return response.dynamicMetadata;
}

describe('router level: the token estimate for reserving budgets', () => {
  it('writes reserved_tokens into dynamic metadata with the request body when configured', async () => {
    const metadata = await metadataOfChat({ tokenReservation: { defaultOutputTokens: 10 } });
    // 'user' 4 + 'hi' 2 bytes, 1 message × 4 + 3, max_tokens 50.
    expect(metadata).toEqual({
      'io.envoy.ai_gateway': {
        original_path: path,
        request_model: 'gpt-a',
        [reservedTokensKey]: 6 + 7 + 50,
      },
    });
  });

  it('writes it in the configured namespace', async () => {
    const metadata = await metadataOfChat({ metadataNamespace: 'ns', tokenReservation: {} });
    expect(metadata).toEqual({
      ns: { original_path: path, request_model: 'gpt-a', [reservedTokensKey]: 63 },
    });
  });

  it('writes no estimate without tokenReservation (no budget reserves), only the path and model', async () => {
    expect(await metadataOfChat({})).toEqual({
      'io.envoy.ai_gateway': { original_path: path, request_model: 'gpt-a' },
    });
  });
});
