import type { ChunkLocker, EventEnvelope, IncomingEvent } from '@orderflow/messaging';

/**
 * Locks the products a run of events is going to change, in SKU order, before any handler runs:
 * the SKUs of its OrderCreated lines and those held for the orders its PaymentProcessed and
 * PaymentFailed finish. Each handler locks its own products in SKU order, but a run applies many
 * orders one after another, so two runs of different partitions would otherwise take shared SKUs
 * in different orders and deadlock. One statement; the handlers then find the rows already held.
 */
export const lockRunStock: ChunkLocker = async (manager, events) => {
  const skus = new Set<string>();
  const finishing: string[] = [];
  for (const event of events) {
    if (isType(event, 'OrderCreated')) for (const line of event.payload.items) skus.add(line.sku);
    else if (isType(event, 'PaymentProcessed') || isType(event, 'PaymentFailed'))
      finishing.push(event.payload.orderId);
  }
  if (skus.size === 0 && finishing.length === 0) return;
  await manager.query(
    `select p.sku from products p
      where p.sku in (select unnest($1::text[])
                      union
                      select l.sku from reservation_lines l join reservations r on r.id = l.reservation_id
                       where r.order_id = any($2::text[]) and r.status = 'RESERVED')
      order by p.sku
        for update of p`,
    [[...skus], finishing],
  );
};

function isType<K extends 'OrderCreated' | 'PaymentProcessed' | 'PaymentFailed'>(
  event: EventEnvelope,
  type: K,
): event is IncomingEvent<K> {
  return event.type === type;
}
