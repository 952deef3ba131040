import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DEMO_ADDRESS, waitForLockWait } from '@orderflow/testing';
import type { EventPayloads, EventType } from '@orderflow/contracts';
import { EventEnvelope, PermanentEventError, statementOfCtes } from '@orderflow/messaging';
import { envelope, orderTestDb } from '../../test/order-db';
import { OrderEntity } from '../order/order.entity';
import { currentHistoryEntry } from '../order/order-snapshot';
import type { SagaEvent } from '../order/order-state-machine';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import { ApplySagaEventsHandler } from './apply-saga-events.handler';
import { ApplySagaEvents, RunEvent } from './apply-saga-events.service';

// A consumer run applies many saga events in one transaction, in memory: these check that it
// leaves what one event at a time would, against real Postgres.

describe('applying a run of saga events against Postgres', () => {
  let db: Awaited<ReturnType<typeof orderTestDb>>;
  const recorder = new OrderStatusRecorder();
  const service = new ApplySagaEvents(recorder);
  const handler = new ApplySagaEventsHandler(service);
  const apply = (events: EventEnvelope[]) => db.deliverBatch(events, (run, ctx) => handler.handle(run, ctx));
  /** The service alone, in the caller's transaction, with its write sent as the consumer would. */
  const applyIn = async (manager: EntityManager, run: RunEvent[]) => {
    const applied = await service.applyRun(manager, run);
    if (applied.write) await manager.query(applied.write.sql, applied.write.params);
    return applied;
  };
  const applyRun = (run: RunEvent[]) => db.dataSource.transaction((manager) => applyIn(manager, run));
  const runEvent = (orderId: string, event: SagaEvent, trace: RunEvent['trace'] = {}): RunEvent => ({
    orderId,
    eventId: randomUUID(),
    event,
    trace,
  });
  const reserve: SagaEvent = {
    type: 'InventoryReserved',
    items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 500 }],
    totalCents: 1000,
    currency: 'EUR',
  };

  beforeAll(async () => {
    db = await orderTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  async function placeOrder(): Promise<string> {
    const at = new Date();
    const order = Object.assign(new OrderEntity(), {
      id: randomUUID(),
      customerId: 'cust-1',
      status: 'PENDING',
      version: 1,
      items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: null }],
      totalCents: null,
      currency: null,
      reason: null,
      paymentToken: 'tok_visa',
      shippingAddress: DEMO_ADDRESS,
      createdAt: at,
      updatedAt: at,
    });
    order.history = [currentHistoryEntry(order, at)];
    const insert = statementOfCtes(recorder.insertOrdersCte([order], 1));
    await db.dataSource.query(insert.sql, insert.params);
    return order.id;
  }

  const event = <K extends EventType>(type: K, orderId: string, extra: object = {}) =>
    envelope(type, { orderId, customerId: 'cust-1', ...extra } as unknown as EventPayloads[K]);
  const reserved = (orderId: string) =>
    event('InventoryReserved', orderId, {
      reservationId: randomUUID(),
      items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 500 }],
      totalCents: 1000,
      currency: 'EUR',
    });
  const paid = (orderId: string) =>
    event('PaymentProcessed', orderId, { paymentId: randomUUID(), amountCents: 1000, currency: 'EUR' });
  const shipped = (orderId: string) =>
    event('ShipmentScheduled', orderId, { shipmentId: randomUUID(), carrier: 'DHL', trackingNumber: 'T1' });

  async function stored(orderId: string) {
    const [order] = await db.dataSource.query(
      'select status, version, total_cents from orders where id = $1',
      [orderId],
    );
    const history = await db.dataSource.query(
      `select h.version, h.status from orders o, jsonb_to_recordset(o.history) as h (version int, status text)
        where o.id = $1`,
      [orderId],
    );
    const parked = await db.dataSource.query('select event_type from parked_events where order_id = $1', [
      orderId,
    ]);
    const published: Array<{ payload: { version: number; status: string }; causation: string }> =
      await db.dataSource.query(
        `select payload, headers->>'causation-id' as causation from messaging_outbox_events
          where event_type = 'OrderStatusChanged' and message_key = $1 order by id, position`,
        [orderId],
      );
    return {
      order,
      history,
      parked: parked.map((p: { event_type: string }) => p.event_type),
      published: published.map((p) => ({
        version: p.payload.version,
        status: p.payload.status,
        causation: p.causation,
      })),
    };
  }

  it('applies a whole success path that arrived in reverse within one run, parking nothing for good', async () => {
    const orderId = await placeOrder();
    const [ship, pay, reserve] = [shipped(orderId), paid(orderId), reserved(orderId)];

    expect(await apply([ship, pay, reserve])).toEqual(['parked', 'parked', 'applied']);

    expect(await stored(orderId)).toEqual({
      order: { status: 'SHIPPING_SCHEDULED', version: 4, total_cents: '1000' },
      history: [
        { version: 1, status: 'PENDING' },
        { version: 2, status: 'INVENTORY_RESERVED' },
        { version: 3, status: 'PAID' },
        { version: 4, status: 'SHIPPING_SCHEDULED' },
      ],
      parked: [],
      published: [
        { version: 2, status: 'INVENTORY_RESERVED', causation: reserve.eventId },
        { version: 3, status: 'PAID', causation: pay.eventId },
        { version: 4, status: 'SHIPPING_SCHEDULED', causation: ship.eventId },
      ],
    });
  });

  it('reads a run in one statement and sends its write with the COMMIT: one round trip of its own', async () => {
    const orders = [await placeOrder(), await placeOrder(), await placeOrder()];
    const run = orders.flatMap((orderId) => [reserved(orderId), paid(orderId)]);

    const { statements, atCommit, outcomes } = await db.countStatements(run, (events, ctx) =>
      handler.handle(events, ctx),
    );

    expect(outcomes).toEqual(Array(6).fill('applied'));
    expect({ statements, atCommit }).toEqual({ statements: 2, atCommit: 1 });
    expect((await stored(orders[2])).order).toMatchObject({ status: 'PAID', version: 3 });
  });

  it('keeps an early event parked across runs and applies it when a later run unlocks it', async () => {
    const orderId = await placeOrder();
    const pay = paid(orderId);
    expect(await apply([pay])).toEqual(['parked']);
    expect((await stored(orderId)).parked).toEqual(['PaymentProcessed']);

    expect(await apply([reserved(orderId)])).toEqual(['applied']);

    const after = await stored(orderId);
    expect(after.order).toMatchObject({ status: 'PAID', version: 3 });
    expect(after.parked).toEqual([]);
    expect(after.published.map((p) => p.status)).toEqual(['INVENTORY_RESERVED', 'PAID']);
  });

  it('lets an event applied late continue its own trace, parked in this run or in an earlier one', async () => {
    const traceOf = (n: number) => ({ traceparent: `00-${String(n).repeat(32)}-${String(n).repeat(16)}-01` });
    const sagaEvent = (orderId: string, event: SagaEvent, n: number) => runEvent(orderId, event, traceOf(n));
    const statusesAndTraces = (published: Awaited<ReturnType<typeof applyRun>>['published']) =>
      published.map((p) => [p.change.payload.status, p.trace]);

    const [early, sameRun] = [await placeOrder(), await placeOrder()];
    expect((await applyRun([sagaEvent(early, { type: 'PaymentProcessed' }, 1)])).outcomes).toEqual([
      'parked',
    ]);
    expect(await db.dataSource.query('select trace from parked_events where order_id = $1', [early])).toEqual(
      [{ trace: traceOf(1) }],
    );
    const later = await applyRun([sagaEvent(early, reserve, 2)]);
    expect(statusesAndTraces(later.published)).toEqual([
      ['INVENTORY_RESERVED', undefined],
      ['PAID', traceOf(1)],
    ]);

    const together = await applyRun([
      sagaEvent(sameRun, { type: 'PaymentProcessed' }, 3),
      sagaEvent(sameRun, reserve, 4),
    ]);
    expect(together.outcomes).toEqual(['parked', 'applied']);
    expect(statusesAndTraces(together.published)).toEqual([
      ['INVENTORY_RESERVED', undefined],
      ['PAID', traceOf(3)],
    ]);
  });

  it('applies interleaved orders of one run each on its own, and treats a late rival event as stale', async () => {
    const [a, b] = [await placeOrder(), await placeOrder()];
    const run = [
      reserved(a),
      event('InventoryRejected', b, { reason: 'insufficient_stock', skus: ['SKU-1'] }),
      event('InventoryRejected', a, { reason: 'insufficient_stock', skus: ['SKU-1'] }),
      paid(a),
      reserved(b),
    ];

    expect(await apply(run)).toEqual(['applied', 'applied', 'stale', 'applied', 'stale']);

    const [orderA, orderB] = [await stored(a), await stored(b)];
    expect(orderA.history.map((h: { status: string }) => h.status)).toEqual([
      'PENDING',
      'INVENTORY_RESERVED',
      'PAID',
    ]);
    expect(orderB.order).toMatchObject({ status: 'REJECTED', version: 2 });
    expect(orderB.published.map((p) => p.status)).toEqual(['REJECTED']);
  });

  it('reads an order again when its row lock waited for a commit, so it sees what that commit parked', async () => {
    // The consumer's advisory locks keep two runs of one order apart; this is the guard behind them.
    const orderId = await placeOrder();
    const first = db.dataSource.createQueryRunner();
    await first.connect();
    try {
      await first.startTransaction();
      const firstRun = [runEvent(orderId, reserve), runEvent(orderId, { type: 'ShipmentScheduled' })];
      expect((await applyIn(first.manager, firstRun)).outcomes).toEqual(['applied', 'parked']);
      const second = applyRun([runEvent(orderId, { type: 'PaymentProcessed' })]);
      await waitForLockWait(db.dataSource, 'the second run waiting for the order row');
      await first.commitTransaction();
      expect((await second).outcomes).toEqual(['applied']);
    } finally {
      if (first.isTransactionActive) await first.rollbackTransaction();
      await first.release();
    }

    const after = await stored(orderId);
    expect(after.order).toMatchObject({ status: 'SHIPPING_SCHEDULED', version: 4 });
    expect(after.parked).toEqual([]);
  });

  it('refuses an event for an order it does not have, and writes nothing', async () => {
    const known = await placeOrder();
    const run = [reserved(known), paid(randomUUID())];

    await expect(apply(run)).rejects.toBeInstanceOf(PermanentEventError);

    expect((await stored(known)).order).toMatchObject({ status: 'PENDING', version: 1 });
  });
});
