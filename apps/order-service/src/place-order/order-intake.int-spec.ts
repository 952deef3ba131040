import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { randomBytes } from 'node:crypto';
import { OutboxWriter } from '@orderflow/messaging';
import { DEMO_ADDRESS } from '@orderflow/testing';
import { orderTestDb } from '../../test/order-db';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import { newOrder } from './new-order';
import { OrderIntake } from './order-intake';
import { PlaceOrder } from './place-order.service';

// POSTs that arrive together share one insert and one commit (ADR 0058), against real Postgres.

describe('order intake against Postgres', () => {
  let db: Awaited<ReturnType<typeof orderTestDb>>;
  let intake: OrderIntake;
  let placeOrder: PlaceOrder;
  const contextManager = new AsyncLocalStorageContextManager();
  const request = (sku: string) => ({
    items: [{ sku, quantity: 1 }],
    paymentToken: 'tok_visa',
    shippingAddress: DEMO_ADDRESS,
  });
  /** Runs `fn` as the request of a trace of its own; returns the trace id with its result. */
  const inOwnTrace = <T>(fn: () => Promise<T>) => {
    const traceId = randomBytes(16).toString('hex');
    const span = { traceId, spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED };
    return { traceId, result: context.with(trace.setSpanContext(context.active(), span), fn) };
  };
  const outboxRows = () =>
    db.dataSource.query<{ id: string; event_type: string; message_key: string; traceparent: string }[]>(
      `select id, event_type, message_key, headers->>'traceparent' as traceparent
         from messaging_outbox_events order by id, position`,
    );

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    db = await orderTestDb();
    const recorder = new OrderStatusRecorder();
    intake = new OrderIntake(db.dataSource, new OutboxWriter({ producer: 'order-service' }), recorder);
    placeOrder = new PlaceOrder(db.dataSource, intake, recorder);
  });
  beforeEach(async () => {
    await db.dataSource.query('delete from messaging_outbox');
  });
  afterAll(async () => {
    await db?.close();
    propagation.disable();
    context.disable();
  });

  it('stores the orders of POSTs that arrive together in one statement, each event with its own trace', async () => {
    const placed = ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4'].map((sku) =>
      inOwnTrace(() => placeOrder.place('cust-1', request(sku))),
    );
    const orderIds = (await Promise.all(placed.map((p) => p.result))).map((r) => r.body.orderId);

    const stored = await db.dataSource.query<{ id: string; sku: string }[]>(
      `select id, items->0->>'sku' as sku from orders where id = any($1)`,
      [orderIds],
    );
    expect(new Map(stored.map((o) => [o.id, o.sku]))).toEqual(
      new Map(orderIds.map((id, i) => [id, `SKU-${i + 1}`])),
    );
    const events = await outboxRows();
    // One outbox row: one statement wrote them all, each order's two events in order.
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(events.map((e) => [e.message_key, e.event_type])).toEqual(
      orderIds.flatMap((id) => [
        [id, 'OrderCreated'],
        [id, 'OrderStatusChanged'],
      ]),
    );
    expect(events.map((e) => e.traceparent.split('-')[1])).toEqual(
      placed.flatMap((p) => [p.traceId, p.traceId]),
    );
  });

  it('fails only the order whose insert fails: orders that went together are retried alone', async () => {
    const recorder = new OrderStatusRecorder();
    const orders = ['SKU-5', 'SKU-6', 'SKU-7'].map((sku) => newOrder('cust-1', request(sku), recorder));
    orders[1].order.history = []; // breaks orders_history_ends_at_version

    const outcomes = await Promise.allSettled(orders.map((o) => intake.submit(o)));

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain('orders_history_ends_at_version');
    const stored = await db.dataSource.query<{ id: string }[]>('select id from orders where id = any($1)', [
      orders.map((o) => o.order.id),
    ]);
    expect(stored.map((o) => o.id).sort()).toEqual([orders[0].order.id, orders[2].order.id].sort());
    const events = await outboxRows();
    expect(events.map((e) => e.message_key)).toEqual([
      orders[0].order.id,
      orders[0].order.id,
      orders[2].order.id,
      orders[2].order.id,
    ]);
  });
});
