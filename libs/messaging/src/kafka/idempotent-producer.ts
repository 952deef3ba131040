import type { Logger } from '@nestjs/common';
import { Kafka, Partitioners, Producer } from 'kafkajs';

/** The producer settings of every event this lib sends: idempotent, one request in flight, per-key order. */
export function idempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
}

/**
 * A fresh producer for one whose send failed: after a broker restart an idempotent producer can
 * be refused for good ("out of order sequence number"); a new one has a new producer id and starts
 * its sequences afresh (ADR 0040). The failed one is disconnected; the new one is not connected yet.
 */
export async function renewProducer(
  kafka: Kafka,
  failed: Producer | undefined,
  logger: Logger,
): Promise<Producer> {
  const renewed = idempotentProducer(kafka);
  await failed
    ?.disconnect()
    .catch((error: Error) => logger.warn(`disconnecting the failed producer: ${error.message}`));
  return renewed;
}
