import { BaseRpcContext } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { EventPayloads, EventType } from '@orderflow/contracts';
import type { EventEnvelope } from '../envelope/event-envelope';
import type { OutboxWriter } from '../outbox/outbox-writer';

export interface DeliveryInfo {
  topic: string;
  partition: number;
  offset: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
}

/**
 * What a handler gets with `@Ctx()`: the transaction it runs in (its effects, the dedupe record
 * and the events it publishes commit or roll back together), and `publish` to write follow-up
 * events to the outbox with causation and correlation filled in.
 */
export class EventContext extends BaseRpcContext<[EventEnvelope, DeliveryInfo]> {
  constructor(
    readonly event: EventEnvelope,
    readonly delivery: DeliveryInfo,
    /** Entity manager bound to the handler's transaction. Use it for every read and write. */
    readonly manager: EntityManager,
    private readonly outbox: OutboxWriter,
  ) {
    super([event, delivery]);
  }

  async publish<K extends EventType>(
    type: K,
    payload: EventPayloads[K],
    options: { key?: string } = {},
  ): Promise<string> {
    const [eventId] = await this.outbox.record(this.manager, {
      type,
      payload,
      key: options.key,
      correlationId: this.event.correlationId,
      causationId: this.event.eventId,
    } as Parameters<OutboxWriter['record']>[1]);
    return eventId;
  }
}
