import type { TokenReservation } from '@aigw/filterapi';

import { metadataNamespace } from './envoy/names.js';

type HardTokenLimit = NonNullable<TokenReservation['hardLimits']>[number];

/** A policy as the annotation opt-ins read it (BackendTrafficPolicy or QuotaPolicy). */
export interface AnnotatedPolicy {
  readonly file: string;
  readonly namespace: string;
  readonly name: string;
  readonly resource: {
    readonly metadata?: { readonly annotations?: Record<string, string> | undefined } | undefined;
  };
}

/**
 * Annotation that cuts the streams of a policy's token limits when they pass the budget: `"hard"`
 * (`"soft"`, the default, charges after the response and lets a stream finish). docs/budgets.md
 * "Hard budgets: cutting a stream".
 */
export const tokenBudgetEnforcementAnnotation = 'aigateway.envoyproxy.io/token-budget-enforcement';

/** Seconds of a window as Envoy writes it in `x-ratelimit-limit` (`w=`; a month is 30 days). */
const windowSeconds = {
  second: 1,
  minute: 60,
  hour: 3_600,
  day: 86_400,
  week: 604_800,
  month: 2_592_000,
  year: 31_536_000,
} as const;

/** What the opt-in reads of a limit (rate-limit.ts's `Limit`). */
export interface TokenLimit {
  readonly unit: keyof typeof windowSeconds;
  readonly requestsPerUnit: number;
  /** The limit reserves the estimate at admission. */
  readonly reserve: boolean;
}

/**
 * The opt-in of hard budgets, per policy: its limits that charge total tokens when the stream ends
 * (`isTokenLimit`, the reservation's rule) become the `hardLimits` of the extproc's settings,
 * named by size and window as Envoy's draft `x-ratelimit-limit` header lists them.
 */
export class HardBudgets<L extends TokenLimit> {
  readonly #isTokenLimit: (limit: L) => boolean;
  readonly #limits = new Map<string, HardTokenLimit>();

  constructor(isTokenLimit: (limit: L) => boolean) {
    this.#isTokenLimit = isTokenLimit;
  }

  /** The hard limits of every policy so far (each size and window once). */
  get limits(): HardTokenLimit[] {
    return [...this.#limits.values()];
  }

  /** Notes the policy's hard limits, or reports a bad annotation or no token limit. */
  apply(policy: AnnotatedPolicy, limits: readonly L[], problems: string[]): void {
    const value = policy.resource.metadata?.annotations?.[tokenBudgetEnforcementAnnotation];
    if (value === undefined || value === 'soft') return;
    const where = `${policy.file}: ${policy.namespace}/${policy.name}: metadata.annotations[${tokenBudgetEnforcementAnnotation}]`;
    if (value !== 'hard') {
      problems.push(`${where}: expected "hard" or "soft"`);
      return;
    }
    const hard = limits.filter((limit) => this.#isTokenLimit(limit));
    for (const limit of hard) {
      const named = {
        tokens: limit.requestsPerUnit,
        windowSeconds: windowSeconds[limit.unit],
        reserves: limit.reserve,
      };
      this.#limits.set(JSON.stringify(named), named);
    }
    if (limits.length > 0 && hard.length === 0) {
      problems.push(
        `${where}: no limit of the policy charges total tokens when the stream ends (cost.response from ${metadataNamespace}:llm_total_token)`,
      );
    }
  }
}
