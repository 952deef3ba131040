import { randomUUID } from 'node:crypto';
import type { EventPayloads, OrderStatus } from '@orderflow/contracts';
import type { EntityManager } from 'typeorm';
import { BatchEventContext } from '@orderflow/messaging';
import { raceForLockOrder, statusChangedPayload } from '@orderflow/testing';
import { RecordingChannel } from '../channels/recording.channel';
import type { NotificationMessage } from '../channels/notification-channel';
import { envelope, notificationTestDb } from '../../test/notification-db';
import { NotifyCustomerHandler } from './notify-customer.handler';

describe('notification-service against Postgres', () => {
  let db: Awaited<ReturnType<typeof notificationTestDb>>;
  const channel = new RecordingChannel();
  const handler = new NotifyCustomerHandler(channel, { NOTIFICATION_EMAIL_DOMAIN: 'customers.test' });

  beforeAll(async () => {
    db = await notificationTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  const change = (orderId: string, status: OrderStatus, version: number) =>
    statusChangedPayload(orderId, status, version, 'cust-7');
  const notifyRun = (payloads: Array<EventPayloads['OrderStatusChanged']>, via = handler) =>
    db.deliverBatch(
      payloads.map((payload) => envelope('OrderStatusChanged', payload)),
      (events, ctx) => via.handle(events as never, ctx),
    );
  const notify = async (payload: EventPayloads['OrderStatusChanged'], via = handler) =>
    (await notifyRun([payload], via))[0];
  const sentFor = (orderId: string) => channel.sent.filter((m) => m.orderId === orderId);

  it('sends each kind once per order under concurrent redelivery, and nothing for intermediate steps', async () => {
    const orderId = randomUUID();
    const flow: Array<[OrderStatus, number]> = [
      ['PENDING', 1],
      ['INVENTORY_RESERVED', 2],
      ['PAID', 3],
      ['SHIPPING_SCHEDULED', 4],
    ];
    await Promise.all(
      flow.flatMap(([status, version]) => [1, 2, 3].map(() => notify(change(orderId, status, version)))),
    );

    expect(
      sentFor(orderId)
        .map((m) => m.kind)
        .sort(),
    ).toEqual(['order_confirmed', 'order_received', 'order_shipped']);
    const rows = await db.dataSource.query(
      'select kind, recipient, channel from notifications where order_id = $1 order by order_version',
      [orderId],
    );
    expect(rows).toEqual([
      { kind: 'order_received', recipient: 'cust-7@customers.test', channel: 'log' },
      { kind: 'order_confirmed', recipient: 'cust-7@customers.test', channel: 'log' },
      { kind: 'order_shipped', recipient: 'cust-7@customers.test', channel: 'log' },
    ]);
  });

  it('records nothing when the channel fails, so the retry sends it', async () => {
    const orderId = randomUUID();
    const failing = new NotifyCustomerHandler(
      { name: 'broken', send: async (_: NotificationMessage) => Promise.reject(new Error('relay down')) },
      { NOTIFICATION_EMAIL_DOMAIN: 'customers.test' },
    );
    await expect(notify(change(orderId, 'REJECTED', 2), failing)).rejects.toThrow('relay down');
    expect(await db.dataSource.query('select 1 from notifications where order_id = $1', [orderId])).toEqual(
      [],
    );

    expect(await notify(change(orderId, 'REJECTED', 2))).toBe('sent');
    expect(await notify(change(orderId, 'REJECTED', 2))).toBe('already-sent');
    expect(sentFor(orderId).map((m) => m.kind)).toEqual(['order_rejected']);
  });

  it('claims a whole run in one statement and sends in run order, once per kind', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const run = [
      change(a, 'PENDING', 1),
      change(b, 'PENDING', 1),
      change(a, 'INVENTORY_RESERVED', 2),
      change(a, 'PAID', 3),
      change(b, 'REJECTED', 2),
      change(a, 'PAID', 3),
    ];
    const { outcomes, statements } = await db.countStatements(
      run.map((payload) => envelope('OrderStatusChanged', payload)),
      (events, ctx) => handler.handle(events as never, ctx),
    );

    expect(outcomes).toEqual(['sent', 'sent', 'no-notification', 'sent', 'sent', 'already-sent']);
    expect(statements).toBe(1);
    expect(sentFor(a).map((m) => m.kind)).toEqual(['order_received', 'order_confirmed']);
    expect(sentFor(b).map((m) => m.kind)).toEqual(['order_received', 'order_rejected']);
  });

  it('claims a run in key order, so runs holding the same orders wait instead of deadlocking', async () => {
    const [first, second] = [randomUUID(), randomUUID()].sort();
    const received = (orderIds: string[]) => (manager: EntityManager) => {
      const events = orderIds.map((id) => envelope('OrderStatusChanged', change(id, 'PENDING', 1)));
      return handler.handle(events, new BatchEventContext(events, manager, () => undefined));
    };

    await raceForLockOrder(db.dataSource, {
      aFirst: received([first]),
      bBoth: received([second, first]),
      aSecond: received([second]),
    });

    expect(sentFor(first).map((m) => m.kind)).toEqual(['order_received']);
    expect(sentFor(second).map((m) => m.kind)).toEqual(['order_received']);
  });
});
