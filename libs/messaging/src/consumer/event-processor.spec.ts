import type { KafkaMessage } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { validateEvent } from '@orderflow/contracts';
import type { DeadLetterPublisher } from '../dead-letter/dead-letter-publisher';
import { decodeEnvelope, EventEnvelope, envelopeHeaders } from '../envelope/event-envelope';
import { OutboxWriter } from '../outbox/outbox-writer';
import { BatchEventContext } from './event-batch';
import { EventProcessor, TransactionRunner } from './event-processor';
import { PermanentEventError } from './failure-policy';

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
  const transaction: TransactionRunner = async (work) => {
    if (failures.length > 0) throw failures.shift();
    const manager = { query: async () => [{ event_id: '2f1c6c1e-8a4b-4a4c-9d2e-0b7f3c2a1d10' }] };
    return (await work(manager as unknown as EntityManager)).result;
  };
  const processor = new EventProcessor({
    group: 'test-group',
    transaction,
    outbox: new OutboxWriter({ producer: 'test' }),
    deadLetters: {
      topic: 'dlq.test-group',
      publish: async (failure: { reason: string; attempts: number }) => void deadLettered.push(failure),
    } as unknown as DeadLetterPublisher,
    handlerFor: () => ({ run: async () => void handled++ }),
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

describe('event processor with a batch handler (EventBatchPattern)', () => {
  const failed = {
    orderId: 'order-1',
    customerId: 'alice',
    paymentId: 'p-1',
    amountCents: 100,
    currency: 'EUR',
    reason: 'card_declined',
  };
  const messageOf = (
    type: 'InventoryReleased' | 'PaymentFailed',
    eventId: string,
    offset: number,
  ): KafkaMessage => ({
    ...message,
    offset: String(offset),
    value: Buffer.from(JSON.stringify(type === 'PaymentFailed' ? failed : payload)),
    headers: Object.fromEntries(
      Object.entries(
        envelopeHeaders({
          eventId,
          type,
          version: 1,
          occurredAt: '2026-01-01T00:00:00.000Z',
          producer: 'test',
          correlationId: 'order-1',
          causationId: null,
          trace: {},
        }),
      ).map(([name, value]) => [name, Buffer.from(value)]),
    ),
  });
  const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

  /**
   * A fake database that remembers committed inbox records (a rolled-back transaction's are
   * dropped) and the outbox statements, and logs the writes in the order they are sent (`commit`:
   * what follows was pipelined with the COMMIT); a batch handler for InventoryReleased that
   * republishes each event and queues a write for the COMMIT, throwing for `badEventId`; a plain
   * handler for PaymentFailed.
   */
  function batchSetup(
    options: {
      alreadyApplied?: string[];
      badEventId?: string;
      unhandled?: string;
      ownRecords?: boolean;
    } = {},
  ) {
    const committed = new Set(options.alreadyApplied ?? []);
    let inboxStatements = 0;
    const outboxStatements: string[][] = [];
    const batchCalls: string[][] = [];
    const singleCalls: string[] = [];
    const deadLettered: string[] = [];
    const log: string[] = [];
    const transaction: TransactionRunner = async (work) => {
      const inbox = new Set<string>();
      const manager = {
        queryRunner: { isTransactionActive: true },
        query: async (sql: string, params: unknown[]) => {
          if (sql.includes('messaging_inbox')) {
            inboxStatements++;
            const fresh = (params[1] as string[]).filter((e) => !committed.has(e) && !inbox.has(e));
            for (const e of fresh) inbox.add(e);
            return fresh.map((event_id) => ({ event_id }));
          }
          if (sql.startsWith('write')) {
            log.push(sql);
            return [];
          }
          log.push('outbox');
          const events = JSON.parse(params[2] as string) as Array<{ eventId: string }>;
          outboxStatements.push(events.map((event) => event.eventId));
          return [];
        },
      };
      const { result, lastWrites = [] } = await work(manager as unknown as EntityManager);
      log.push('commit');
      for (const write of lastWrites) await manager.query(write.sql, write.params);
      for (const e of inbox) committed.add(e);
      return result;
    };
    const dedupe = options.ownRecords ? ('own-records' as const) : ('inbox' as const);
    const group = { types: ['InventoryReleased'] as const, dedupe };
    const processor = new EventProcessor({
      group: 'test-group',
      transaction,
      outbox: new OutboxWriter({ producer: 'test' }),
      deadLetters: {
        topic: 'dlq.test-group',
        publish: async (failure: { message: KafkaMessage }) => void deadLettered.push(failure.message.offset),
      } as unknown as DeadLetterPublisher,
      handlerFor: (type) =>
        type === options.unhandled
          ? undefined
          : type === 'InventoryReleased'
            ? {
                batch: group,
                run: async (events, ctx) => {
                  batchCalls.push(events.map((e) => e.eventId));
                  if (events.some((e) => e.eventId === options.badEventId))
                    throw new PermanentEventError('bad event');
                  if (dedupe === 'inbox')
                    for (const e of events) ctx.publish(e, 'InventoryReleased', e.payload as never);
                  ctx.writeAtCommit({
                    sql: `write ${events.map((e) => e.eventId.at(-1)).join(',')}`,
                    params: [],
                  });
                },
              }
            : {
                run: async (event: EventEnvelope) => {
                  singleCalls.push(event.eventId);
                  log.push(`handle ${event.eventId.at(-1)}`);
                },
              },
      retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
      pause: async () => true,
    });
    const inboxWrites = () => inboxStatements;
    return { processor, outboxStatements, batchCalls, singleCalls, deadLettered, inboxWrites, log };
  }

  it('hands the run’s fresh events to one call, in order, and writes what it published in one statement', async () => {
    const setup = batchSetup({ alreadyApplied: [id(2)] });
    const chunk = [1, 2, 3, 4].map((n) => messageOf('InventoryReleased', id(n), n));

    const outcomes = await setup.processor.processChunk('t', 0, chunk);

    expect(outcomes).toEqual(['processed', 'duplicate', 'processed', 'processed']);
    expect(setup.batchCalls).toEqual([[id(1), id(3), id(4)]]);
    expect(setup.outboxStatements).toHaveLength(1);
    expect(setup.outboxStatements[0]).toHaveLength(3);
  });

  it('splits a run where an event of another handler comes in between, keeping the order', async () => {
    const setup = batchSetup();
    const chunk = [
      messageOf('InventoryReleased', id(1), 1),
      messageOf('InventoryReleased', id(2), 2),
      messageOf('PaymentFailed', id(3), 3),
      messageOf('InventoryReleased', id(4), 4),
    ];

    expect(await setup.processor.processChunk('t', 0, chunk)).toEqual([
      'processed',
      'processed',
      'processed',
      'processed',
    ]);
    expect(setup.batchCalls).toEqual([[id(1), id(2)], [id(4)]]);
    expect(setup.singleCalls).toEqual([id(3)]);
    // The first call's queued write goes before the next handler runs, which must see its effects.
    expect(setup.log).toEqual(['write 1,2', 'handle 3', 'commit', 'write 4', 'outbox']);
  });

  it('sends a handler’s queued write with the COMMIT, before the outbox insert', async () => {
    const setup = batchSetup();
    const chunk = [1, 2].map((n) => messageOf('InventoryReleased', id(n), n));

    expect(await setup.processor.processChunk('t', 0, chunk)).toEqual(['processed', 'processed']);
    expect(setup.log).toEqual(['commit', 'write 1,2', 'outbox']);
  });

  it('does not split a run at an event of a type this service does not handle', async () => {
    const setup = batchSetup({ unhandled: 'PaymentFailed' });
    const chunk = [
      messageOf('InventoryReleased', id(1), 1),
      messageOf('PaymentFailed', id(2), 2),
      messageOf('InventoryReleased', id(3), 3),
    ];

    expect(await setup.processor.processChunk('t', 0, chunk)).toEqual(['processed', 'ignored', 'processed']);
    expect(setup.batchCalls).toEqual([[id(1), id(3)]]);
  });

  it('after a failed run, calls the batch handler one event at a time so only the bad one is dead-lettered', async () => {
    const setup = batchSetup({ badEventId: id(2) });
    const chunk = [1, 2, 3].map((n) => messageOf('InventoryReleased', id(n), n));

    const outcomes = await setup.processor.processChunk('t', 0, chunk);

    expect(outcomes).toEqual(['processed', 'dead-lettered', 'processed']);
    expect(setup.batchCalls).toEqual([[id(1), id(2), id(3)], [id(1)], [id(2)], [id(3)]]);
    expect(setup.deadLettered).toEqual(['2']);
    expect(setup.outboxStatements.map((rows) => rows.length)).toEqual([1, 1]);
  });

  it('hands an event that a run holds twice (published again) to the handler once', async () => {
    const setup = batchSetup();
    const chunk = [messageOf('InventoryReleased', id(1), 1), messageOf('InventoryReleased', id(1), 2)];

    expect(await setup.processor.processChunk('t', 0, chunk)).toEqual(['processed', 'duplicate']);
    expect(setup.batchCalls).toEqual([[id(1)]]);
  });

  it('hands every delivery, redelivered or not, to a handler that dedupes by its own records, without an inbox write', async () => {
    const setup = batchSetup({ alreadyApplied: [id(1)], ownRecords: true });
    const run = [
      messageOf('InventoryReleased', id(1), 1),
      messageOf('InventoryReleased', id(2), 2),
      messageOf('InventoryReleased', id(2), 3),
    ];

    expect(await setup.processor.processChunk('t', 0, run)).toEqual(['processed', 'processed', 'processed']);
    expect(await setup.processor.processChunk('t', 0, [messageOf('InventoryReleased', id(2), 4)])).toEqual([
      'processed',
    ]);
    expect(setup.batchCalls).toEqual([[id(1), id(2), id(2)], [id(2)]]);
    expect(setup.inboxWrites()).toBe(0);
  });

  it('records the inbox only for the events of handlers that dedupe by it', async () => {
    const setup = batchSetup({ ownRecords: true });
    const chunk = [messageOf('InventoryReleased', id(1), 1), messageOf('PaymentFailed', id(2), 2)];

    expect(await setup.processor.processChunk('t', 0, chunk)).toEqual(['processed', 'processed']);
    expect(await setup.processor.processChunk('t', 0, chunk)).toEqual(['processed', 'duplicate']);
    expect(setup.batchCalls).toEqual([[id(1)], [id(1)]]);
    expect(setup.singleCalls).toEqual([id(2)]);
    expect(setup.inboxWrites()).toBe(2);
  });

  it('applies the runs of two partitions in one transaction, one handler call, outcomes per run', async () => {
    const setup = batchSetup({ alreadyApplied: [id(3)] });
    const runs = [
      { topic: 't', partition: 0, messages: [1, 2].map((n) => messageOf('InventoryReleased', id(n), n)) },
      { topic: 't', partition: 1, messages: [3, 4].map((n) => messageOf('InventoryReleased', id(n), n)) },
    ];

    expect(await setup.processor.processTogether(runs)).toEqual([
      ['processed', 'processed'],
      ['duplicate', 'processed'],
    ]);
    expect(setup.batchCalls).toEqual([[id(1), id(2), id(4)]]);
    expect(setup.outboxStatements).toHaveLength(1);
  });

  it('gives runs that failed together back undone, for each to be applied on its own', async () => {
    const setup = batchSetup({ badEventId: id(2) });
    const good = { topic: 't', partition: 0, messages: [messageOf('InventoryReleased', id(1), 1)] };
    const bad = { topic: 't', partition: 1, messages: [messageOf('InventoryReleased', id(2), 2)] };

    expect(await setup.processor.processTogether([good, bad])).toBeUndefined();
    expect(await setup.processor.processTogether([good])).toEqual([['processed']]);
    expect(setup.deadLettered).toEqual([]);
  });

  it('refuses to publish from a handler that dedupes by its own records (a redelivery would publish again)', () => {
    const event = decodeEnvelope(messageOf('InventoryReleased', id(1), 1));
    const ctx = new BatchEventContext([event], {} as EntityManager, () => undefined, false);

    expect(() => ctx.publish(event, 'InventoryReleased', event.payload as never)).toThrow(
      /publishes nothing/,
    );
  });
});
