import { TokenBucketRateLimiter, rateLimitFromEnv } from './rate-limit';

describe('TokenBucketRateLimiter', () => {
  it('allows a burst of perMinute, then refuses with a Retry-After until tokens refill', () => {
    let now = 0;
    const limiter = new TokenBucketRateLimiter(3, () => now);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSec: 20 });
    expect(limiter.take('b').allowed).toBe(true);
    now += 20_000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('reads the limit from the environment and names the variable when it is wrong', () => {
    process.env.TEST_RATE = '7';
    expect(rateLimitFromEnv('TEST_RATE', 100)).toBe(7);
    process.env.TEST_RATE = 'lots';
    expect(() => rateLimitFromEnv('TEST_RATE', 100)).toThrow(/TEST_RATE/);
    delete process.env.TEST_RATE;
    expect(rateLimitFromEnv('TEST_RATE', 100)).toBe(100);
  });
});
