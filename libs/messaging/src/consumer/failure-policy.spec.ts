import { MalformedEventError } from '../envelope/event-envelope';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  InvalidEventError,
  isOutage,
  isPermanent,
  PermanentEventError,
} from './failure-policy';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

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

  it('tells an outage (database or network unreachable) from a failure of the event', () => {
    expect(isOutage(withCode('read ECONNRESET', 'ECONNRESET'))).toBe(true);
    expect(isOutage(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isOutage(withCode('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isOutage(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(isOutage(withCode('connection failure', '08006'))).toBe(true);
    expect(isOutage(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isOutage(new Error('timeout exceeded when trying to connect'))).toBe(true);

    expect(isOutage(withCode('deadlock detected', '40P01'))).toBe(false);
    expect(isOutage(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isOutage(withCode('syntax error', '42601'))).toBe(false);
    expect(isOutage(new TypeError("Cannot read properties of undefined (reading 'sku')"))).toBe(false);
    expect(isOutage(new PermanentEventError('unknown order'))).toBe(false);
    expect(isOutage(undefined)).toBe(false);
    expect(isOutage('ECONNRESET')).toBe(false);
  });
});
