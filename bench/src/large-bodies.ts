/**
 * Large request bodies: chat completions with many messages, to check that every hop (Envoy's
 * buffer limits, the ext_proc message, gRPC's message size limit, the extproc's JSON parsing)
 * takes them, and to time them.
 */
import { benchModel } from './payloads.js';

/** One large-body case: `count` user messages of `size` bytes of content each. */
export interface BodyCase {
  readonly name: string;
  readonly count: number;
  readonly size: number;
}

/** The cases of the suite, smallest first. */
export const bodyCases: readonly BodyCase[] = [
  { name: '10 × 10 B', count: 10, size: 10 },
  { name: '100 × 100 B', count: 100, size: 100 },
  { name: '1,000 × 1 KB', count: 1_000, size: 1_024 },
  { name: '100,000 × 1 B', count: 100_000, size: 1 },
  { name: '500,000 × 1 B', count: 500_000, size: 1 },
];

/** The request of a case: valid OpenAI chat JSON, deterministic, built without JSON.stringify. */
export function largeChatRequest(bodyCase: BodyCase): Buffer {
  const content = 'x'.repeat(bodyCase.size);
  const message = `{"role":"user","content":"${content}"}`;
  const messages = new Array<string>(bodyCase.count).fill(message).join(',');
  return Buffer.from(`{"model":"${benchModel}","max_tokens":16,"messages":[${messages}]}`);
}
