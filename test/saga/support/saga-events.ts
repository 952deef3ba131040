import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { EVENT_CATALOG, EventPayloads, EventType } from '@orderflow/contracts';
import { envelopeHeaders } from '@orderflow/messaging';
import { KAFKA_BROKERS, uniqueName } from '@orderflow/testing';

/**
 * Plays the other services' part: publishes saga events into a stack's topics with a valid
 * envelope, and reads what order-service published.
 */
export class SagaEventProbe {
  private readonly kafka = new Kafka({
    clientId: uniqueName('probe'),
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  private producer: Producer | undefined;
  readonly received: { type: string; key: string; payload: Record<string, unknown> }[] = [];

  constructor(private readonly topicPrefix: string) {}

  async publish<K extends EventType>(
    type: K,
    payload: EventPayloads[K],
    eventId: string = randomUUID(),
  ): Promise<string> {
    this.producer ??= this.kafka.producer();
    await this.producer.connect();
    const orderId = (payload as { orderId: string }).orderId;
    const headers = envelopeHeaders({
      eventId,
      type,
      version: EVENT_CATALOG[type].version,
      occurredAt: new Date().toISOString(),
      producer: EVENT_CATALOG[type].producer,
      correlationId: orderId,
      causationId: randomUUID(),
      trace: {},
    });
    await this.producer.send({
      topic: `${this.topicPrefix}${EVENT_CATALOG[type].topic}`,
      messages: [{ key: orderId, value: JSON.stringify(payload), headers }],
    });
    return eventId;
  }

  /** Starts recording every event of the given topics (without prefix) from the beginning. */
  async record(topics: string[]): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: uniqueName('probe') });
    this.stopConsumer = async () => consumer.disconnect();
    await consumer.connect();
    await consumer.subscribe({ topics: topics.map((t) => `${this.topicPrefix}${t}`), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        this.received.push({
          type: message.headers?.['event-type']?.toString() ?? '',
          key: message.key?.toString() ?? '',
          payload: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>,
        });
      },
    });
  }

  of(type: string, orderId: string) {
    return this.received.filter((e) => e.type === type && e.key === orderId);
  }

  private stopConsumer: () => Promise<void> = async () => undefined;

  async close(): Promise<void> {
    await this.stopConsumer();
    await this.producer?.disconnect();
  }
}
