import { CanActivate, ExecutionContext, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ProblemException } from './problem';

/** `retryAfterSec`: when the caller may try again (only meaningful when refused). */
export interface RateDecision {
  allowed: boolean;
  retryAfterSec: number;
}

/**
 * Token bucket per key, in this process: `perMinute` tokens refill evenly over a minute, and a
 * burst of up to `perMinute` is allowed. Idle keys are forgotten once their bucket is full again.
 */
export class TokenBucketRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(key: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      this.forgetFullBuckets(now);
      return { allowed: true, retryAfterSec: 0 };
    }
    this.buckets.set(key, bucket);
    return {
      allowed: false,
      retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1_000)),
    };
  }

  private forgetFullBuckets(now: number) {
    if (this.buckets.size < 10_000) return;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}

/** Reads a per-minute limit from the environment; a bad value stops the app naming the variable. */
export function rateLimitFromEnv(variable: string, defaultPerMinute: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw.trim() === '') return defaultPerMinute;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 10_000_000)
    throw new Error(`${variable} must be an integer between 1 and 10000000 (got "${raw}")`);
  return value;
}

/**
 * Route guard: limits each authenticated customer (JWT `sub`) to a number of requests per minute;
 * over the limit → 429 problem+json with `Retry-After`. Runs after the global auth guard.
 */
export class CustomerRateLimitGuard implements CanActivate {
  private readonly limiter: TokenBucketRateLimiter;

  constructor(perMinute: number) {
    this.limiter = new TokenBucketRateLimiter(perMinute);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!req.principal) return true; // public route: nothing to key on
    const decision = this.limiter.take(req.principal.customerId);
    if (decision.allowed) return true;
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(decision.retryAfterSec));
    throw new ProblemException(
      HttpStatus.TOO_MANY_REQUESTS,
      'urn:orderflow:problem:rate-limited',
      'Too many requests',
      `At most ${this.limiter.perMinute} requests per minute are accepted per customer; retry in ${decision.retryAfterSec} s`,
      { retryAfterSeconds: decision.retryAfterSec },
    );
  }
}
