import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { EventPayloads } from '@orderflow/contracts';
import { handlerTestDb } from '@orderflow/testing';
import {
  DeadLetterPublisher,
  EventContext,
  EventEnvelope,
  EventProcessor,
  OutboxWriter,
  transactionsOf,
} from '../src';
import { testEventHeaders } from './fixture/fixture-events';

/**
 * Two runs of events (two partitions' batches, one transaction each) for the same two orders in
 * opposite orders, each handler recording a follow-up event (OutboxWriter locks the order's key).
 * Interleaved, they would deadlock — Postgres aborts one after deadlock_timeout and its run is
 * applied again event by event — unless a run takes its keys' locks up front, in one order.
 */
describe('runs of events lock their keys up front (Postgres)', () => {
  let db: Awaited<ReturnType<typeof handlerTestDb>>;
  beforeAll(async () => {
    db = await handlerTestDb({ service: 'run-locking', entities: [], migrations: [] });
  });
  afterAll(async () => {
    await db?.close();
  });

  const message = (orderId: string, offset: number): KafkaMessage => {
    const payload: EventPayloads['InventoryReleased'] = {
      orderId,
      customerId: 'alice',
      reservationId: randomUUID(),
      items: [{ sku: 'SKU-1', quantity: 1 }],
      reason: 'card_declined',
    };
    const headers = testEventHeaders(randomUUID(), 'InventoryReleased', payload);
    return {
      key: Buffer.from(orderId),
      value: Buffer.from(JSON.stringify(payload)),
      offset: String(offset),
      timestamp: '0',
      attributes: 0,
      headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)])),
    };
  };

  it('applies both runs in one transaction each, one after the other', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    let handlerRuns = 0;
    const firstDone = new Map<number, () => void>();
    const firstSeen = [0, 1].map((run) => new Promise<void>((done) => firstDone.set(run, done)));
    const processorFor = (run: number) => {
      let applied = 0;
      return new EventProcessor({
        group: 'run-locking',
        transaction: transactionsOf(db.dataSource),
        outbox: new OutboxWriter({ producer: 'test' }),
        deadLetters: {} as DeadLetterPublisher,
        retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
        pause: async () => true,
        handlerFor: () => ({
          run: async (event: EventEnvelope, ctx: EventContext) => {
            handlerRuns++;
            await ctx.publish('InventoryReleased', event.payload as never);
            if (++applied === 1) {
              firstDone.get(run)!();
              // Give the other run (≤ 1 s) the chance to take its first order before this one goes on.
              await Promise.race([firstSeen[1 - run], new Promise((resolve) => setTimeout(resolve, 1_000))]);
            }
          },
        }),
      });
    };
    const outcomes = await Promise.all([
      processorFor(0).processChunk('t', 0, [message(a, 0), message(b, 1)]),
      processorFor(1).processChunk('t', 1, [message(b, 0), message(a, 1)]),
    ]);
    expect({ outcomes, handlerRuns }).toEqual({
      outcomes: [
        ['processed', 'processed'],
        ['processed', 'processed'],
      ],
      handlerRuns: 4, // more: a run was rolled back (deadlock) and applied again one by one
    });
    const rows = await db.dataSource.query('select count(*)::int as n from messaging_outbox_events');
    expect(rows[0].n).toBe(4);
  });
});
