/** Headers the consumer adds to a dead letter, next to the original event's own headers. */
export const DEAD_LETTER_HEADERS = {
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  error: 'dlq-error',
  /** `permanent` (not retried) or `exhausted` (failed maxAttempts times). */
  reason: 'dlq-reason',
  attempts: 'dlq-attempts',
  firstFailureAt: 'dlq-first-failure-at',
  lastFailureAt: 'dlq-last-failure-at',
} as const;

export type DeadLetterReason = 'permanent' | 'exhausted';
