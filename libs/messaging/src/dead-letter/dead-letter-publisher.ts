import { Logger } from '@nestjs/common';
import { IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '@orderflow/contracts';
import { idempotentProducer, renewProducer } from '../kafka/idempotent-producer';

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
  private readonly logger = new Logger('dead-letters');
  private producer: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly group: string,
    readonly topic: string,
  ) {
    this.producer = idempotentProducer(kafka);
  }

  connect = () => this.producer.connect();
  disconnect = () => this.producer.disconnect();

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
    } catch (sendError) {
      // The caller redelivers and publishes again, through a new producer as the relay does.
      this.producer = await renewProducer(this.kafka, this.producer, this.logger);
      await this.producer
        .connect()
        .catch((reason: Error) =>
          this.logger.warn(`dead-letter producer not reconnected: ${reason.message}`),
        );
      throw sendError;
    }
  }
}
