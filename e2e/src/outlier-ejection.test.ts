import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, waitFor } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { faultyProvider, type FaultyProvider } from './support/fake-providers/faulty.js';

/**
 * Outlier ejection through `aigw run` (real Envoy, the generated `outlier_detection`): a primary
 * that answers 503 three times in a row is ejected, so the next requests go straight to the
 * priority-1 fallback (one attempt each, the primary not asked); after the ejection time (10 s,
 * checked every 5 s) the primary gets traffic again. docs/resilience.md, "Ejection of a failing
 * backend".
 */
const harness = useHarness();
const apiKey = 'sk-outlier-0123456789';
/** What ejects: `consecutive_gateway_failure` of the generated clusters. */
const gatewayFailuresToEject = 3;

describe('outlier ejection of a failing primary, and its return', () => {
  let aigw: RunningAigw;
  let primary: FaultyProvider;
  let fallback: FaultyProvider;
  let primaryPort: number;
  let requestNumber = 0;

  beforeAll(async () => {
    primary = faultyProvider({ wire: 'openai', usage: { input: 3, output: 1 } });
    fallback = faultyProvider({ wire: 'anthropic', usage: { input: 7, output: 2 } });
    primaryPort = (await harness.upstream(primary.handler, { name: 'primary' })).port;
    const fallbackPort = (await harness.upstream(fallback.handler, { name: 'fallback' })).port;
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: outlier}
spec:
  rules:
    - matches: [{headers: [{type: RegularExpression, name: x-ai-eg-model, value: 'outlier-.*'}]}]
      timeouts: {request: 10s}
      backendRefs: [{name: primary}, {name: fallback, priority: 1}]`,
      aiBackendYaml({ name: 'primary', schema: 'OpenAI', port: primaryPort, key: apiKey }),
      aiBackendYaml({ name: 'fallback', schema: 'Anthropic', port: fallbackPort, key: apiKey }),
    ].join('\n---');
    const file = join(harness.tempDir('outlier-ejection'), 'gateway.yaml');
    writeFileSync(file, yaml);
    aigw = await startAigw({ args: [file] });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  /** The access-log line Envoy wrote for `model` (aigw prints them as `[envoy] {…}`). */
  async function accessLine(model: string): Promise<Record<string, unknown>> {
    const find = (): Record<string, unknown> | undefined => {
      for (const line of aigw.output().split('\n')) {
        const at = line.indexOf('{"');
        if (!line.includes('[envoy]') || at < 0) continue;
        try {
          const entry = JSON.parse(line.slice(at)) as Record<string, unknown>;
          if (entry.model === model) return entry;
        } catch {
          // Not a JSON line.
        }
      }
      return undefined;
    };
    return waitFor(find, { timeoutMs: 10_000, description: `the access-log line of ${model}` });
  }

  interface Served {
    readonly by: 'primary' | 'fallback';
    readonly attempts: unknown;
    readonly backend: string;
  }

  /** One chat completion: which provider answered it, and what Envoy logged. */
  async function chat(): Promise<Served> {
    requestNumber += 1;
    const model = `outlier-${String(requestNumber)}`;
    const before = { primary: primary.hits.length, fallback: fallback.hits.length };
    const response = await fetch(`${aigw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as { choices?: unknown[] };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.choices).toHaveLength(1);
    const line = await accessLine(model);
    const asked = {
      primary: primary.hits.length - before.primary,
      fallback: fallback.hits.length - before.fallback,
    };
    // Exactly one provider answered with a 200; the primary may have failed before it.
    expect(asked.fallback).toBeLessThanOrEqual(1);
    expect(asked.primary).toBeLessThanOrEqual(1);
    return {
      by: asked.fallback === 1 ? 'fallback' : 'primary',
      attempts: line.attempts,
      backend: String(line.backend),
    };
  }

  /** The primary's health flags in Envoy's admin `/clusters` (`/failed_outlier_check` when ejected). */
  async function primaryHealthFlags(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${String(aigw.adminPort)}/clusters`);
    const text = await response.text();
    const line = text
      .split('\n')
      .find((l) => l.includes(`::127.0.0.1:${String(primaryPort)}::health_flags::`));
    if (line === undefined) throw new Error(`no primary host in /clusters:\n${text}`);
    return line.slice(line.lastIndexOf('::') + 2);
  }

  async function enforcedEjections(): Promise<number> {
    const response = await fetch(
      `http://127.0.0.1:${String(aigw.adminPort)}/stats?filter=outlier_detection.ejections_enforced_consecutive_gateway_failure$`,
    );
    const match = /: (\d+)\s*$/m.exec(await response.text());
    return Number(match?.[1] ?? 0);
  }

  it(
    'ejects the primary after consecutive 503s, serves from the fallback directly, then returns it',
    { timeout: 60_000 },
    async () => {
      // Healthy: the primary answers, in one attempt.
      expect(await chat()).toMatchObject({ by: 'primary', attempts: 1 });
      expect(await primaryHealthFlags()).toBe('healthy');

      // Three 503s in a row: each request still succeeds, on the fallback after a retry.
      primary.push(...Array.from({ length: gatewayFailuresToEject }, () => '5xx' as const));
      for (let i = 0; i < gatewayFailuresToEject; i += 1) {
        const served = await chat();
        expect(served).toMatchObject({ by: 'fallback', attempts: 2 });
        expect(served.backend).toContain('fallback');
      }
      // The ejection happens on Envoy's main thread, just after the third failure.
      await waitFor(
        async () =>
          (await primaryHealthFlags()).includes('failed_outlier_check') ? true : undefined,
        { timeoutMs: 5_000, description: 'the primary ejected (/failed_outlier_check)' },
      );
      expect(await enforcedEjections()).toBe(1);
      const ejectedHits = primary.hits.length;

      // Ejected: requests go straight to the fallback, in one attempt; the primary is not asked.
      for (let i = 0; i < 3; i += 1) {
        expect(await chat()).toMatchObject({ by: 'fallback', attempts: 1 });
      }
      expect(primary.hits.length).toBe(ejectedHits);

      // After the ejection time the primary is back: keep asking until it answers again. Every
      // request until then is served by the fallback in one attempt.
      const whileEjected: Served[] = [];
      const back = await waitFor(
        async () => {
          // A failed check ends the wait (waitFor would retry a throwing probe).
          const served = await chat().catch((error: unknown) => ({ error }));
          if ('error' in served || served.by === 'primary') return served;
          whileEjected.push(served);
          return undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, description: 'the primary answering again' },
      );
      if ('error' in back) throw back.error;
      expect(back).toMatchObject({ by: 'primary', attempts: 1 });
      expect(whileEjected.every((s) => s.attempts === 1)).toBe(true);
      expect(primary.hits.length).toBe(ejectedHits + 1);
      expect(await primaryHealthFlags()).toBe('healthy');
    },
  );
});
