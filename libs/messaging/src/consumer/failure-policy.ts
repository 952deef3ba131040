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

/** Node socket errors: the connection to the database (or another dependency) went away. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** Postgres SQLSTATEs of a server that is shutting down, restarting or full (class 08 is matched as a class). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** pg and its pool report a lost or unobtainable connection with these messages and no code. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable/,
  /^Client was closed and is not queryable/,
];

/**
 * The failure says a dependency is unreachable, not that the event is bad: an outage. Retrying
 * such a failure does not use up the event's attempts (the consumer waits for the database to come
 * back instead of dead-lettering events that are fine). TypeORM's QueryFailedError copies the
 * driver's `code` onto itself.
 */
export function isOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (CONNECTION_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true; // connection exception
  }
  return typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
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
