import { IHeaders, Kafka, KafkaMessage, Partitioners, Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '@orderflow/contracts';

/** `permanent`: not retried (malformed, schema-invalid, PermanentEventError); `exhausted`: out of attempts. */
export type DeadLetterReason = 'permanent' | 'exhausted';

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  reason: DeadLetterReason;
  error: unknown;
  attempts: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
}

/** Copies a failed message, bytes untouched, to the group's dead-letter topic with failure headers. */
export class DeadLetterPublisher {
  private producer: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly group: string,
    readonly topic: string,
  ) {
    this.producer = this.createProducer();
  }

  connect = () => this.producer.connect();
  disconnect = () => this.producer.disconnect();

  private createProducer(): Producer {
    return this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async publish(letter: DeadLetter): Promise<void> {
    const error =
      letter.error instanceof Error ? `${letter.error.name}: ${letter.error.message}` : String(letter.error);
    const headers: IHeaders = {
      ...letter.message.headers,
      [DEAD_LETTER_HEADERS.originalTopic]: letter.topic,
      [DEAD_LETTER_HEADERS.originalPartition]: String(letter.partition),
      [DEAD_LETTER_HEADERS.originalOffset]: letter.message.offset,
      [DEAD_LETTER_HEADERS.consumerGroup]: this.group,
      [DEAD_LETTER_HEADERS.error]: error.slice(0, 2_000),
      [DEAD_LETTER_HEADERS.reason]: letter.reason,
      [DEAD_LETTER_HEADERS.attempts]: String(letter.attempts),
      [DEAD_LETTER_HEADERS.firstFailureAt]: letter.firstFailureAt.toISOString(),
      [DEAD_LETTER_HEADERS.lastFailureAt]: letter.lastFailureAt.toISOString(),
    };
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: [{ key: letter.message.key, value: letter.message.value, headers }],
      });
    } catch (error) {
      // The caller redelivers and publishes again; with a new producer, as the relay does after a
      // failed send (an idempotent producer can stay refused after a broker restart).
      const failed = this.producer;
      this.producer = this.createProducer();
      await failed.disconnect().catch(() => undefined); // the send's error is the one that matters
      await this.producer.connect().catch(() => undefined); // the next publish's send reports it
      throw error;
    }
  }
}
