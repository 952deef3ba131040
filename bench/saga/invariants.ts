import { Client } from 'pg';
import { BenchSystem } from './system';
import { TERMINAL } from './customers';

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * The saga's guarantees after the run, read from the services' own databases:
 * every accepted order terminal, stock conserved per product, one charge per paid order.
 */
export async function checkInvariants(
  system: BenchSystem,
  run: { acceptedOrders: number; acceptedKeyed: number; seededStock: number; skus: string[] },
): Promise<Invariant[]> {
  return withClients(system, async (db) => {
    const orders = await db.orders.query<{ status: string; n: string }>(
      'select status, count(*) as n from orders group by status',
    );
    const byStatus = Object.fromEntries(orders.rows.map((row) => [row.status, Number(row.n)]));
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    const open = Object.entries(byStatus).filter(([status]) => !TERMINAL.has(status));

    const stock = await db.inventory.query<{
      sku: string;
      available: number;
      reserved: number;
      sold: number;
    }>('select sku, available, reserved, sold from products where sku = any($1)', [run.skus]);
    const unbalanced = stock.rows.filter((p) => p.available + p.reserved + p.sold !== run.seededStock);
    const held = stock.rows.reduce((sum, p) => sum + p.reserved, 0);
    const sold = stock.rows.reduce((sum, p) => sum + p.sold, 0);
    const shippedUnits = await db.orders.query<{ units: string | null }>(
      `select sum((line->>'quantity')::int) as units
       from orders, jsonb_array_elements(items) as line where status = 'SHIPPING_SCHEDULED'`,
    );

    const charges = await db.payments.query<{ processed: string; orders: string; failed: string }>(
      `select count(*) filter (where status = 'PROCESSED') as processed,
              count(distinct order_id) filter (where status = 'PROCESSED') as orders,
              count(*) filter (where status = 'FAILED') as failed from payments`,
    );
    const paid = byStatus.SHIPPING_SCHEDULED ?? 0;
    const { processed, orders: chargedOrders } = charges.rows[0];
    const shipments = await db.shipping.query<{ n: string; orders: string }>(
      'select count(*) as n, count(distinct order_id) as orders from shipments',
    );

    const keys = await db.orders.query<{ keys: string; orders: string }>(
      `select count(*) as keys, count(o.id) as orders
         from idempotency_keys k left join orders o on o.id = (k.response_body->>'orderId')::uuid`,
    );

    return [
      {
        name: 'every order accepted by POST /orders exists',
        ok: total === run.acceptedOrders,
        detail: `${total} orders in order-service, ${run.acceptedOrders} accepted`,
      },
      {
        name: 'every order terminal',
        ok: open.length === 0,
        detail:
          open.length === 0
            ? JSON.stringify(byStatus)
            : `not terminal: ${JSON.stringify(Object.fromEntries(open))}`,
      },
      {
        name: 'stock conserved (available + reserved + sold = seeded, per product; nothing left reserved)',
        ok: unbalanced.length === 0 && held === 0 && stock.rows.length === run.skus.length,
        detail: `${unbalanced.length} unbalanced products, ${held} units still reserved`,
      },
      {
        name: 'units sold = units of shipped orders',
        ok: sold === Number(shippedUnits.rows[0].units ?? 0),
        detail: `${sold} sold, ${shippedUnits.rows[0].units ?? 0} in SHIPPING_SCHEDULED orders`,
      },
      {
        name: 'one charge per paid order',
        ok: Number(processed) === paid && Number(chargedOrders) === paid,
        detail: `${processed} processed charges for ${chargedOrders} orders, ${paid} paid orders`,
      },
      {
        name: 'one shipment per paid order',
        ok: Number(shipments.rows[0].n) === paid && Number(shipments.rows[0].orders) === paid,
        detail: `${shipments.rows[0].n} shipments, ${paid} paid orders`,
      },
      {
        name: 'one stored Idempotency-Key per keyed POST, each naming its order',
        ok: Number(keys.rows[0].keys) === run.acceptedKeyed && keys.rows[0].orders === keys.rows[0].keys,
        detail: `${keys.rows[0].keys} keys (${keys.rows[0].orders} naming an order), ${run.acceptedKeyed} keyed POSTs accepted`,
      },
    ];
  });
}

type Clients = Record<'orders' | 'inventory' | 'payments' | 'shipping', Client>;

async function withClients<T>(system: BenchSystem, body: (db: Clients) => Promise<T>): Promise<T> {
  const db: Clients = {
    orders: new Client({ connectionString: system.databaseUrl('order-service') }),
    inventory: new Client({ connectionString: system.databaseUrl('inventory-service') }),
    payments: new Client({ connectionString: system.databaseUrl('payment-service') }),
    shipping: new Client({ connectionString: system.databaseUrl('shipping-service') }),
  };
  await Promise.all(Object.values(db).map((client) => client.connect()));
  try {
    return await body(db);
  } finally {
    await Promise.all(Object.values(db).map((client) => client.end()));
  }
}
