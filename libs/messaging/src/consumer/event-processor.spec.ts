import type { KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { validateEvent } from '@orderflow/contracts';
import type { DeadLetterPublisher } from '../dead-letter/dead-letter-publisher';
import { envelopeHeaders } from '../envelope/event-envelope';
import type { OutboxWriter } from '../outbox/outbox-writer';
import { EventProcessor } from './event-processor';

// Pure retry logic with a fake database: what the processor does with each kind of failure.
// The same paths against real Postgres and Kafka: libs/messaging/test and the chaos suite.

const payload = {
  orderId: 'order-1',
  customerId: 'alice',
  reservationId: 'res-1',
  items: [{ sku: 'SKU-1', quantity: 1 }],
  reason: 'card_declined',
};
const message: KafkaMessage = {
  key: Buffer.from('order-1'),
  value: Buffer.from(JSON.stringify(payload)),
  offset: '7',
  timestamp: '0',
  attributes: 0,
  headers: Object.fromEntries(
    Object.entries(
      envelopeHeaders({
        eventId: '2f1c6c1e-8a4b-4a4c-9d2e-0b7f3c2a1d10',
        type: 'InventoryReleased',
        version: 1,
        occurredAt: '2026-01-01T00:00:00.000Z',
        producer: 'inventory-service',
        correlationId: 'order-1',
        causationId: null,
        trace: {},
      }),
    ).map(([name, value]) => [name, Buffer.from(value)]),
  ),
};
const withCode = (text: string, code: string) => Object.assign(new Error(text), { code });

/** A processor whose database fails with `failures` in turn, then works; what it dead-lettered and slept. */
function processorWith(failures: unknown[]) {
  const deadLettered: Array<{ reason: string; attempts: number }> = [];
  const pauses: number[] = [];
  let handled = 0;
  const dataSource = {
    transaction: async (work: (manager: EntityManager) => Promise<unknown>) => {
      if (failures.length > 0) throw failures.shift();
      const manager = { query: async () => [{ event_id: '2f1c6c1e-8a4b-4a4c-9d2e-0b7f3c2a1d10' }] };
      return work(manager as unknown as EntityManager);
    },
  } as unknown as DataSource;
  const processor = new EventProcessor({
    group: 'test-group',
    dataSource,
    outbox: {} as OutboxWriter,
    deadLetters: {
      topic: 'dlq.test-group',
      publish: async (failure: { reason: string; attempts: number }) => void deadLettered.push(failure),
    } as unknown as DeadLetterPublisher,
    handlerFor: () => async () => void handled++,
    retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 40 },
    pause: async (ms) => {
      pauses.push(ms);
      return true;
    },
  });
  return { processor, deadLettered, pauses, handled: () => handled };
}

describe('event processor retries', () => {
  it('uses a valid event', () => {
    expect(validateEvent('InventoryReleased', 1, payload).ok).toBe(true);
  });

  it('waits out a database outage longer than the attempt budget and then applies the event', async () => {
    const outage = [
      ...Array.from({ length: 20 }, () => withCode('read ECONNRESET', 'ECONNRESET')),
      withCode('terminating connection due to administrator command', '57P01'),
      new Error('Connection terminated unexpectedly'),
    ];
    const { processor, deadLettered, pauses, handled } = processorWith(outage);
    await expect(processor.process('inventory.events', 0, message)).resolves.toBe('processed');
    expect({ deadLettered, handled: handled(), retries: pauses.length }).toEqual({
      deadLettered: [],
      handled: 1,
      retries: 22,
    });
    expect(Math.max(...pauses)).toBeLessThanOrEqual(40);
  });

  it('dead-letters an event whose own failures use up the attempts, outages not counted', async () => {
    const deadlock = () => withCode('deadlock detected', '40P01');
    const failures = [deadlock(), withCode('read ECONNRESET', 'ECONNRESET'), deadlock(), deadlock()];
    const { processor, deadLettered, handled } = processorWith(failures);
    await expect(processor.process('inventory.events', 0, message)).resolves.toBe('dead-lettered');
    expect({ deadLettered, handled: handled() }).toEqual({
      deadLettered: [expect.objectContaining({ reason: 'exhausted', attempts: 4 })],
      handled: 0,
    });
  });
});
