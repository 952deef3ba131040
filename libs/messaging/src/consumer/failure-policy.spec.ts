import { MalformedEventError } from '../envelope/event-envelope';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  InvalidEventError,
  isPermanent,
  PermanentEventError,
} from './failure-policy';

describe('failure policy', () => {
  it('treats malformed, invalid and domain-rejected events as permanent, anything else as transient', () => {
    expect(isPermanent(new PermanentEventError('rule'))).toBe(true);
    expect(isPermanent(new MalformedEventError('bytes'))).toBe(true);
    expect(isPermanent(new InvalidEventError('schema'))).toBe(true);
    expect(isPermanent(new Error('connection reset'))).toBe(false);
    expect(isPermanent({ status: 'error' })).toBe(false);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(policy, attempt, () => 1))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(200);
  });

  it('bounds the default total retry time', () => {
    const worst = Array.from({ length: DEFAULT_RETRY_POLICY.maxAttempts - 1 }, (_, i) =>
      backoffDelay(DEFAULT_RETRY_POLICY, i + 1, () => 1),
    ).reduce((a, b) => a + b, 0);
    expect(worst).toBeLessThanOrEqual(10_000);
  });
});
