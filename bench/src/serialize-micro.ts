/**
 * Microbenchmark of lever 2 in docs/performance.md: µs to build and serialize the five ext_proc
 * responses of one non-streamed request through the gateway, the way the extproc did it before
 * (`ProcessingResponse.fromPartial` per response, the generated serializer's
 * `Buffer.from(encode(message).finish())` with a fresh writer per message) and the way it does now
 * (`apps/extproc/src/processor/messages.ts`: plain objects, one reused writer, no second copy,
 * pre-encoded constants). In-process and interleaved (old, new, old, new, ...), so load from
 * elsewhere on the machine falls on both alike; the median round is reported.
 *
 *   pnpm --filter @aigw/bench micro:serialize [--rounds 15] [--iterations 20000]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
// The extproc's own response builders are what is measured (a bench script, not a dependency).
/* eslint-disable import-x/no-relative-packages */
import {
  commonResponse,
  headerMutation,
  serializeResponse,
  type CommonOptions,
} from '../../apps/extproc/src/processor/messages.js';
import type * as Proto from '../../packages/proto/src/index.js';
/* eslint-enable import-x/no-relative-packages */
import { repoRoot } from './processes.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    iterations: { type: 'string', default: '20000' },
  },
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);

// @aigw/proto as the extproc resolves it (this package does not depend on it).
const requireFromExtproc = createRequire(join(repoRoot, 'apps', 'extproc', 'package.json'));
const proto = (await import(
  pathToFileURL(requireFromExtproc.resolve('@aigw/proto')).href
)) as typeof Proto;
const { extProc } = proto;

const ns = 'io.envoy.ai_gateway';
/** The five responses of one request, as the processors build them (bench/src/payloads.ts). */
const responses: readonly CommonOptions[] = [
  {
    phase: 'requestHeaders',
    mutation: headerMutation([['x-ai-eg-internal-req-id', `bench-${'0'.repeat(36)}`]]),
  },
  {
    phase: 'requestBody',
    mutation: headerMutation([
      ['x-ai-eg-model', 'gpt-bench'],
      ['x-ai-eg-original-path', '/v1/chat/completions'],
      ['x-ai-eg-cluster', 'bench-backend'],
    ]),
    clearRouteCache: true,
  },
  {
    phase: 'requestHeaders',
    mutation: headerMutation(
      [
        [':path', '/v1/chat/completions'],
        ['authorization', 'Bearer sk-bench-000000000000000000000000'],
      ],
      ['api-key', 'x-api-key', 'x-ai-eg-internal-req-id'],
    ),
    dynamicMetadata: { [ns]: { backend_name: 'default/bench/route/bench/rule/0/ref/0' } },
  },
  { phase: 'responseHeaders' },
  {
    phase: 'responseBody',
    dynamicMetadata: {
      [ns]: {
        llm_input_token: 27,
        llm_output_token: 19,
        llm_total_token: 46,
        llm_cached_input_token: 4,
        llm_reasoning_token: 0,
        backend_name: 'default/bench/route/bench/rule/0/ref/0',
        request_model: 'gpt-bench',
        response_model: 'gpt-bench-2025-01-01',
        weighted_cost: 103,
      },
    },
  },
];

/** Before: `fromPartial` per response, the generated serializer (fresh writer, extra copy). */
function before(options: CommonOptions): Buffer {
  const { CONTINUE, CONTINUE_AND_REPLACE } = extProc.CommonResponse_ResponseStatus;
  const response = extProc.ProcessingResponse.fromPartial({
    response: {
      $case: options.phase,
      value: {
        response: {
          status: options.isReplace === true ? CONTINUE_AND_REPLACE : CONTINUE,
          headerMutation: options.mutation,
          clearRouteCache: options.clearRouteCache ?? false,
        },
      },
    },
    dynamicMetadata: options.dynamicMetadata,
    modeOverride: options.modeOverride,
  });
  return extProc.ExternalProcessorService.process.responseSerialize(response);
}

/** Now: messages.ts. */
function after(options: CommonOptions): Buffer {
  return serializeResponse(commonResponse(options));
}

function timeRound(serialize: (options: CommonOptions) => Buffer): number {
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++)
    for (const options of responses) bytes += serialize(options).byteLength;
  const ns = Number(process.hrtime.bigint() - start);
  if (bytes === 0) throw new Error('unreachable');
  return ns / iterations / 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// Same bytes both ways, or the comparison means nothing.
for (const options of responses)
  if (!before(options).equals(after(options)))
    throw new Error(`the two serializations differ for ${options.phase}`);

const old: number[] = [];
const now: number[] = [];
timeRound(before);
timeRound(after);
for (let round = 0; round < rounds; round++) {
  old.push(timeRound(before));
  now.push(timeRound(after));
}
const [a, b] = [median(old), median(now)];
process.stdout.write(
  `Build + serialize the 5 ext_proc responses of one non-streamed request (median of ${String(rounds)} rounds × ${String(iterations)}):\n` +
    `  before (fromPartial, generated serializer): ${a.toFixed(2)} µs\n` +
    `  now (messages.ts):                          ${b.toFixed(2)} µs  (${(((b - a) / a) * 100).toFixed(0)}%)\n`,
);
