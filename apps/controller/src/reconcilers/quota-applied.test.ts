import type { RateLimitRules } from '@aigw/gateway-config';
import { describe, expect, it } from 'vitest';
import { appliedLimits } from './quota-applied.js';

const rules: RateLimitRules = {
  domain: 'ai-gateway',
  descriptors: [
    {
      key: 'limit',
      value: 'team-a/budget/backend/alpha/service',
      rate_limit: { unit: 'hour', requests_per_unit: 1000 },
    },
    {
      key: 'limit',
      value: 'team-a/budget/backend/alpha/model/gpt-b',
      descriptors: [
        {
          key: 'selector_0',
          rate_limit: { unit: 'month', requests_per_unit: 50, calendar_time_zone: 'Europe/Paris' },
          shadow_mode: true,
        },
      ],
    },
    // Another policy's limit, and one of a policy whose name starts the same.
    {
      key: 'limit',
      value: 'team-b/budget/backend/x/service',
      rate_limit: { unit: 'day', requests_per_unit: 5 },
    },
    {
      key: 'limit',
      value: 'team-a/budget-2/backend/x/service',
      rate_limit: { unit: 'day', requests_per_unit: 5 },
    },
  ],
};

describe('appliedLimits', () => {
  it('lists the limits of one policy with their window, calendar zone and shadow mode', () => {
    expect(appliedLimits(rules, { namespace: 'team-a', name: 'budget' })).toBe(
      '2 limits applied: backend/alpha/service: 1000 per hour; ' +
        'backend/alpha/model/gpt-b: 50 per month (calendar month in Europe/Paris, shadow mode)',
    );
  });

  it('says when the policy reserves at admission and cuts streams', () => {
    const annotations = {
      'aigateway.envoyproxy.io/token-reservation': 'true',
      'aigateway.envoyproxy.io/token-budget-enforcement': 'hard',
    };
    expect(appliedLimits(rules, { namespace: 'team-b', name: 'budget', annotations })).toBe(
      '1 limit applied (reserved at admission, streams cut past the budget): backend/x/service: 5 per day',
    );
  });

  it('says so when the policy produced no limit, and caps a long list', () => {
    expect(appliedLimits(undefined, { namespace: 'x', name: 'y' })).toMatch(/^no limit applied/);
    const many: RateLimitRules = {
      domain: 'ai-gateway',
      descriptors: Array.from({ length: 20 }, (_, i) => ({
        key: 'limit',
        value: `ns/p/backend/b${String(i)}/service`,
        rate_limit: { unit: 'minute' as const, requests_per_unit: i + 1 },
      })),
    };
    const text = appliedLimits(many, { namespace: 'ns', name: 'p' });
    expect(text).toMatch(/^20 limits applied: backend\/b0\/service: 1 per minute;/);
    expect(text).toMatch(/; and 4 more$/);
  });
});
