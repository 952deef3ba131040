import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { EventPayloads, OrderStatus } from '@orderflow/contracts';
import { raceForLockOrder, statusChangedPayload } from '@orderflow/testing';
import { envelope, gatewayTestDb } from '../../test/gateway-db';
import { OrderStatusProjection } from '../projection/order-status-projection';
import { AfterCommit } from './after-commit';
import { OrderStatusChangedHandler } from './order-status-changed.handler';
import type { RoutedStatusPush } from './order-status-push';
import type { StatusFanout } from './status-fanout';

// A consumer run of OrderStatusChanged is applied in one statement: the projection must end as if
// the events were applied one by one; the newer ones and a redelivered current one are pushed,
// after commit only.

describe('gateway status projection, a run at a time, against Postgres', () => {
  let db: Awaited<ReturnType<typeof gatewayTestDb>>;
  let handler: OrderStatusChangedHandler;
  const pushed: RoutedStatusPush[] = [];

  beforeAll(async () => {
    db = await gatewayTestDb();
    const afterCommit = new AfterCommit(db.dataSource);
    afterCommit.onModuleInit();
    const fanout = { publish: (push: RoutedStatusPush) => void pushed.push(push) } as unknown as StatusFanout;
    handler = new OrderStatusChangedHandler(new OrderStatusProjection(db.dataSource), afterCommit, fanout);
  });
  afterAll(async () => {
    await db?.close();
  });

  const changed = (orderId: string, status: OrderStatus, version: number) =>
    statusChangedPayload(orderId, status, version);
  const run = (payloads: Array<EventPayloads['OrderStatusChanged']>) =>
    db.deliverBatch(
      payloads.map((payload) => envelope('OrderStatusChanged', payload)),
      (events, ctx) => handler.handle(events as never, ctx),
    );
  const stored = async (orderId: string) =>
    (
      await db.dataSource.query('select version, status from order_status_projection where order_id = $1', [
        orderId,
      ])
    )[0];
  const pushesOf = (orderId: string) => pushed.filter((p) => p.orderId === orderId).map((p) => p.version);

  it('stores the newest snapshot per order and pushes exactly the newer events, in run order', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const outcomes = await run([
      changed(a, 'PENDING', 1),
      changed(a, 'INVENTORY_RESERVED', 2),
      changed(b, 'PENDING', 1),
      changed(a, 'INVENTORY_RESERVED', 2),
      changed(a, 'SHIPPING_SCHEDULED', 4),
      changed(a, 'PAID', 3),
    ]);

    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'stale', 'applied', 'stale']);
    expect(await stored(a)).toEqual({ version: 4, status: 'SHIPPING_SCHEDULED' });
    expect(await stored(b)).toEqual({ version: 1, status: 'PENDING' });
    expect(pushesOf(a)).toEqual([1, 2, 4]);
    expect(pushesOf(b)).toEqual([1]);
  });

  it('compares a later run with what is stored, never moving an order backwards', async () => {
    const a = randomUUID();
    await run([changed(a, 'PAID', 3)]);

    expect(
      await run([changed(a, 'PENDING', 1), changed(a, 'PAID', 3), changed(a, 'SHIPPING_SCHEDULED', 4)]),
    ).toEqual(['stale', 'current', 'applied']);
    expect(await stored(a)).toEqual({ version: 4, status: 'SHIPPING_SCHEDULED' });
    expect(pushesOf(a)).toEqual([3, 3, 4]);
  });

  it('pushes a redelivered current version again: its first push may never have left', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const first = [changed(a, 'PENDING', 1), changed(a, 'REJECTED', 2), changed(b, 'PENDING', 1)];
    await run(first);

    expect(await run([...first, changed(b, 'INVENTORY_RESERVED', 2)])).toEqual([
      'stale',
      'current',
      'current',
      'applied',
    ]);
    expect(pushesOf(a)).toEqual([1, 2, 2]);
    expect(pushesOf(b)).toEqual([1, 1, 2]);
    expect(await stored(a)).toEqual({ version: 2, status: 'REJECTED' });
  });

  it('pushes nothing when the run rolls back', async () => {
    const a = randomUUID();
    await expect(
      db.deliverBatch([envelope('OrderStatusChanged', changed(a, 'PENDING', 1))], async (events, ctx) => {
        await handler.handle(events as never, ctx);
        throw new Error('later failure in the run');
      }),
    ).rejects.toThrow('later failure in the run');

    expect(await stored(a)).toBeUndefined();
    expect(pushesOf(a)).toEqual([]);
  });

  it('takes the rows of a run in key order, so runs holding the same orders wait instead of deadlocking', async () => {
    const [first, second] = [randomUUID(), randomUUID()].sort();
    const projection = new OrderStatusProjection(db.dataSource);
    const apply = (orderIds: string[], version: number) => (manager: EntityManager) =>
      projection.applyAll(
        manager,
        orderIds.map((id) => changed(id, version === 1 ? 'PENDING' : 'INVENTORY_RESERVED', version).order),
      );

    await raceForLockOrder(db.dataSource, {
      aFirst: apply([first], 1),
      bBoth: apply([second, first], 2),
      aSecond: apply([second], 1),
    });

    expect(await stored(first)).toEqual({ version: 2, status: 'INVENTORY_RESERVED' });
    expect(await stored(second)).toEqual({ version: 2, status: 'INVENTORY_RESERVED' });
  });
});
