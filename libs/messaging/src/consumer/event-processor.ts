import { Logger } from '@nestjs/common';
import { context, propagation } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { validateEvent } from '@orderflow/contracts';
import { decodeEnvelope, EventEnvelope } from '../envelope/event-envelope';
import type { OutboxWriter } from '../outbox/outbox-writer';
import type { DeadLetterPublisher } from '../dead-letter/dead-letter-publisher';
import { EventContext } from './event-context';
import { backoffDelay, InvalidEventError, isPermanent, RetryPolicy } from './failure-policy';

/** `ignored`: this service has no handler for the event's type (topics carry several types). */
export type ProcessOutcome = 'processed' | 'duplicate' | 'dead-lettered' | 'ignored';

/** Runs the Nest handler of the event's type; rejects with the handler's own error. */
export type HandlerInvoker = (
  type: string,
) => ((event: EventEnvelope, ctx: EventContext) => Promise<void>) | undefined;

/** Thrown when shutdown interrupts a retry: the offset stays uncommitted, the event is redelivered. */
export class ProcessingInterrupted extends Error {
  override readonly name = 'ProcessingInterrupted';
}

export interface EventProcessorDeps {
  group: string;
  dataSource: DataSource;
  outbox: OutboxWriter;
  deadLetters: DeadLetterPublisher;
  handlerFor: HandlerInvoker;
  retry: RetryPolicy;
  /** Sleeps between attempts; resolves false when the consumer is stopping. */
  pause: (ms: number) => Promise<boolean>;
}

/**
 * Applies one Kafka message exactly once per consumer group: the dedupe record, the handler's
 * effects and its outbox rows commit in one transaction; transient failures are retried with
 * backoff; permanent ones and exhausted retries go to the dead-letter topic.
 */
export class EventProcessor {
  private readonly logger = new Logger('event-consumer');

  constructor(private readonly deps: EventProcessorDeps) {}

  async process(topic: string, partition: number, message: KafkaMessage): Promise<ProcessOutcome> {
    const firstFailureAt = new Date();
    let envelope: EventEnvelope;
    try {
      envelope = decodeEnvelope(message);
      const validation = validateEvent(envelope.type, envelope.version, envelope.payload);
      if (!validation.ok) throw new InvalidEventError(validation.errors.join('; '));
    } catch (error) {
      return this.deadLetter({ topic, partition, message, error, attempts: 1, firstFailureAt });
    }
    const handler = this.deps.handlerFor(envelope.type);
    if (!handler) return 'ignored';

    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyOnce(envelope, handler, { topic, partition, offset: message.offset, attempt });
      } catch (error) {
        const final = isPermanent(error) || attempt >= this.deps.retry.maxAttempts;
        this.logger.warn(
          `${envelope.type} ${envelope.eventId} failed (attempt ${attempt}/${this.deps.retry.maxAttempts}${final ? ', giving up' : ''}): ${describe(error)}`,
        );
        if (final)
          return this.deadLetter({ topic, partition, message, error, attempts: attempt, firstFailureAt });
        if (!(await this.deps.pause(backoffDelay(this.deps.retry, attempt)))) {
          throw new ProcessingInterrupted(`stopped while retrying ${envelope.eventId}`);
        }
      }
    }
  }

  private applyOnce(
    envelope: EventEnvelope,
    handler: NonNullable<ReturnType<HandlerInvoker>>,
    delivery: EventContext['delivery'],
  ): Promise<'processed' | 'duplicate'> {
    const traceContext = propagation.extract(context.active(), envelope.trace);
    return context.with(traceContext, () =>
      this.deps.dataSource.transaction(async (manager) => {
        // Blocks on the primary key while another member holds the same event uncommitted, so
        // concurrent redeliveries (rebalance) serialize and the second one sees a duplicate.
        const inserted: unknown[] = await manager.query(
          `insert into messaging_inbox (consumer_group, event_id, event_type) values ($1, $2, $3)
           on conflict do nothing returning event_id`,
          [this.deps.group, envelope.eventId, envelope.type],
        );
        if (inserted.length === 0) return 'duplicate';
        await handler(envelope, new EventContext(envelope, delivery, manager, this.deps.outbox));
        return 'processed';
      }),
    );
  }

  private async deadLetter(failure: {
    topic: string;
    partition: number;
    message: KafkaMessage;
    error: unknown;
    attempts: number;
    firstFailureAt: Date;
  }): Promise<'dead-lettered'> {
    const reason = isPermanent(failure.error) ? 'permanent' : 'exhausted';
    await this.deps.deadLetters.publish({ ...failure, reason, lastFailureAt: new Date() });
    this.logger.error(
      `dead-lettered ${failure.topic}/${failure.partition}@${failure.message.offset} to ${this.deps.deadLetters.topic} (${reason}): ${describe(failure.error)}`,
    );
    return 'dead-lettered';
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'object' ? JSON.stringify(error) : String(error);
}
