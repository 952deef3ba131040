/** Kafka topics of the event API (asyncapi/asyncapi.yaml channels). Every topic has 6 partitions. */
export const TOPICS = {
  ordersEvents: 'orders.events',
  inventoryEvents: 'inventory.events',
  paymentsEvents: 'payments.events',
  shippingEvents: 'shipping.events',
  ordersStatus: 'orders.status',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** Partitions of every topic, dead-letter topics included; the message key is the order id. */
export const TOPIC_PARTITIONS = 6;

/** Dead-letter topic of one consumer group. */
export const deadLetterTopic = (consumerGroup: string) => `dlq.${consumerGroup}`;

/** Kafka headers the messaging lib adds to a dead-lettered message, beside the original ones. */
export const DEAD_LETTER_HEADERS = {
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  error: 'dlq-error',
  /** `permanent` (not retried) or `exhausted` (failed every attempt). */
  reason: 'dlq-reason',
  attempts: 'dlq-attempts',
  firstFailureAt: 'dlq-first-failure-at',
  lastFailureAt: 'dlq-last-failure-at',
} as const;
