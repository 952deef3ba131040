import { MalformedEventError } from '../envelope/event-envelope';

/**
 * Thrown by a handler when retrying cannot help (a domain rule rejects the event for good):
 * the event goes straight to the dead-letter topic.
 */
export class PermanentEventError extends Error {
  override readonly name = 'PermanentEventError';
}

/** The event does not match the schema of its (type, version). */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

export interface RetryPolicy {
  /** Total attempts including the first. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5_000 };

export function isPermanent(error: unknown): boolean {
  return (
    error instanceof PermanentEventError ||
    error instanceof MalformedEventError ||
    error instanceof InvalidEventError
  );
}

/** "Full jitter" exponential backoff: uniform in [0, min(max, initial * 2^(attempt-1))]. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}
