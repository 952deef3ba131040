import { Client } from 'pg';
import { DEAD_LETTER_HEADERS, OrderSnapshot, TOPICS } from '@orderflow/contracts';
import type { ChaosStack } from './chaos-stack';
import type { ChaosCustomer, ChaosSku } from './load';
import { readTopics, RecordedMessage } from './topic-reader';

export interface Violation {
  invariant: string;
  detail: string;
}

export const TERMINAL = ['SHIPPING_SCHEDULED', 'REJECTED', 'CANCELLED'];
const PAID_OR_LATER = ['PAID', 'SHIPPING_SCHEDULED'];
const NEXT: Record<string, string[]> = {
  PENDING: ['INVENTORY_RESERVED', 'REJECTED'],
  INVENTORY_RESERVED: ['PAID', 'PAYMENT_FAILED'],
  PAID: ['SHIPPING_SCHEDULED'],
  PAYMENT_FAILED: ['CANCELLED'],
};
const NOTIFICATIONS: Record<string, string[]> = {
  SHIPPING_SCHEDULED: ['order_confirmed', 'order_received', 'order_shipped'],
  CANCELLED: ['order_cancelled', 'order_received'],
  REJECTED: ['order_received', 'order_rejected'],
};
export const MESSAGING_SERVICES = [
  'order-service',
  'inventory-service',
  'payment-service',
  'shipping-service',
  'notification-service',
];

export async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Orders not terminal yet, outbox rows not published yet: zero and zero means the run is quiet. */
export async function pendingWork(
  stack: ChaosStack,
  orderIds: string[],
): Promise<{ open: number; outbox: number }> {
  const [open] = await query<{ n: string }>(
    stack.databaseUrl('order-service'),
    `select count(*) as n from orders where id = any($1::uuid[]) and status <> all($2)`,
    [orderIds, TERMINAL],
  );
  let outbox = 0;
  for (const app of MESSAGING_SERVICES) {
    const [row] = await query<{ n: string }>(
      stack.databaseUrl(app),
      'select count(*) as n from messaging_outbox',
    );
    outbox += Number(row.n);
  }
  return { open: Number(open.n), outbox };
}

interface CheckInput {
  stack: ChaosStack;
  orders: Map<string, ChaosCustomer>;
  customers: ChaosCustomer[];
  skus: ChaosSku[];
}

/** Every invariant of the saga, from the public API, the services' databases and the run's topics. */
export async function checkInvariants(
  input: CheckInput,
): Promise<{ violations: Violation[]; finals: Map<string, OrderSnapshot> }> {
  const violations: Violation[] = [];
  const fail = (invariant: string, detail: string) => violations.push({ invariant, detail });
  const finals = await fetchFinals(input, fail);
  checkHistories(finals, fail);
  await checkStock(input, fail);
  const events = await readTopics(input.stack.kafka('chaos-check'), [
    ...Object.values(TOPICS).map((t) => `${input.stack.topicPrefix}${t}`),
    ...input.stack.deadLetterTopics(),
  ]);
  checkEvents(input.stack.topicPrefix, finals, events, fail);
  await checkServiceRecords(input, finals, fail);
  await checkOutboxes(input.stack, fail);
  checkSockets(input.customers, finals, fail);
  return { violations, finals };
}

type Fail = (invariant: string, detail: string) => void;

async function fetchFinals(input: CheckInput, fail: Fail): Promise<Map<string, OrderSnapshot>> {
  const finals = new Map<string, OrderSnapshot>();
  const url = input.stack.url('order-service');
  for (const [orderId, customer] of input.orders) {
    const res = await fetch(`${url}/orders/${orderId}`, {
      headers: { authorization: `Bearer ${customer.token}` },
    });
    if (res.status !== 200) {
      fail('accepted-order-readable', `GET /orders/${orderId} answered ${res.status}`);
      continue;
    }
    const order = (await res.json()) as OrderSnapshot;
    finals.set(orderId, order);
    if (!TERMINAL.includes(order.status))
      fail('terminal', `${orderId} ended ${order.status} v${order.version}`);
  }
  return finals;
}

function checkHistories(finals: Map<string, OrderSnapshot>, fail: Fail) {
  for (const order of finals.values()) {
    const h = order.history;
    const path = h.map((e) => `${e.status}@${e.version}`).join(' → ');
    if (h[0]?.status !== 'PENDING') fail('history', `${order.orderId} does not start PENDING: ${path}`);
    h.forEach((entry, i) => {
      if (entry.version !== i + 1)
        fail('history', `${order.orderId} gap or repeat at v${entry.version}: ${path}`);
      if (i > 0 && !NEXT[h[i - 1].status]?.includes(entry.status))
        fail('history', `${order.orderId} illegal step ${h[i - 1].status} → ${entry.status}: ${path}`);
    });
    if (h.at(-1)?.status !== order.status || order.version !== h.length)
      fail('history', `${order.orderId} is ${order.status} v${order.version} but its history is ${path}`);
  }
}

async function checkStock(input: CheckInput, fail: Fail) {
  const db = input.stack.databaseUrl('inventory-service');
  const rows = await query<{
    sku: string;
    available: number;
    reserved: number;
    sold: number;
    held: string;
    committed: string;
  }>(
    db,
    `select p.sku, p.available, p.reserved, p.sold,
            coalesce(sum(l.quantity) filter (where r.status = 'RESERVED'), 0) as held,
            coalesce(sum(l.quantity) filter (where r.status = 'COMMITTED'), 0) as committed
       from products p
       left join reservation_lines l on l.sku = p.sku
       left join reservations r on r.id = l.reservation_id
      where p.sku = any($1) group by p.sku`,
    [input.skus.map((s) => s.sku)],
  );
  for (const sku of input.skus) {
    const row = rows.find((r) => r.sku === sku.sku);
    if (!row) {
      fail('stock', `${sku.sku} is missing`);
      continue;
    }
    const held = Number(row.held);
    if (sku.initial !== row.available + held + row.sold)
      fail(
        'stock',
        `${sku.sku}: initial ${sku.initial} ≠ available ${row.available} + held ${held} + sold ${row.sold}`,
      );
    if (row.reserved !== held)
      fail('stock', `${sku.sku}: reserved counter ${row.reserved} ≠ live reservations ${held}`);
    if (row.sold !== Number(row.committed))
      fail('stock', `${sku.sku}: sold ${row.sold} ≠ committed lines ${row.committed}`);
  }
}

/** Distinct events (by event id) per order and type in the run's topics; dead letters of the run. */
function checkEvents(
  prefix: string,
  finals: Map<string, OrderSnapshot>,
  events: RecordedMessage[],
  fail: Fail,
) {
  const distinct = new Map<string, Set<string>>();
  const statusVersions = new Map<string, Map<number, Set<string>>>();
  for (const m of events) {
    if (m.topic.startsWith('dlq.')) {
      const original = m.headers[DEAD_LETTER_HEADERS.originalTopic] ?? '';
      if (original.startsWith(prefix))
        fail(
          'no-dead-letters',
          `${m.topic}: ${m.headers['event-type']} of ${m.key} (${m.headers[DEAD_LETTER_HEADERS.error]})`,
        );
      continue;
    }
    const type = m.headers['event-type'];
    const id = m.headers['event-id'];
    const order = m.headers['correlation-id'] ?? m.key ?? '';
    const key = `${order}/${type}`;
    if (!distinct.has(key)) distinct.set(key, new Set());
    distinct.get(key)!.add(id);
    if (type === 'OrderStatusChanged' && m.value) {
      const version = (JSON.parse(m.value) as { version: number }).version;
      const perOrder = statusVersions.get(order) ?? new Map<number, Set<string>>();
      statusVersions.set(order, perOrder);
      perOrder.set(version, (perOrder.get(version) ?? new Set()).add(id));
    }
  }
  const count = (order: string, type: string) => distinct.get(`${order}/${type}`)?.size ?? 0;
  for (const order of finals.values()) {
    const id = order.orderId;
    const paid = order.history.some((e) => PAID_OR_LATER.includes(e.status));
    const expect = (type: string, wanted: number, invariant: string) => {
      const n = count(id, type);
      if (n !== wanted) fail(invariant, `${id} (${order.status}): ${n} × ${type}, expected ${wanted}`);
    };
    expect('OrderCreated', 1, 'one-order-created');
    expect('PaymentProcessed', paid ? 1 : 0, 'one-approved-charge');
    expect('InventoryReleased', order.status === 'CANCELLED' ? 1 : 0, 'released-once');
    expect('ShipmentScheduled', order.status === 'SHIPPING_SCHEDULED' ? 1 : 0, 'one-shipment');
    const versions = statusVersions.get(id) ?? new Map<number, Set<string>>();
    for (let v = 1; v <= order.version; v++) {
      const ids = versions.get(v)?.size ?? 0;
      if (ids !== 1) fail('status-events', `${id}: ${ids} OrderStatusChanged events for v${v}`);
    }
    if (versions.size !== order.version)
      fail(
        'status-events',
        `${id}: OrderStatusChanged versions ${[...versions.keys()].join(',')} for v${order.version}`,
      );
  }
}

async function checkServiceRecords(input: CheckInput, finals: Map<string, OrderSnapshot>, fail: Fail) {
  const ids = [...finals.keys()];
  const payments = await query<{ order_id: string; status: string; n: string }>(
    input.stack.databaseUrl('payment-service'),
    `select order_id, status, count(*) as n from payments where order_id = any($1) group by order_id, status`,
    [ids],
  );
  const reservations = await query<{ order_id: string; status: string }>(
    input.stack.databaseUrl('inventory-service'),
    'select order_id, status from reservations where order_id = any($1)',
    [ids],
  );
  const shipments = await query<{ order_id: string; n: string }>(
    input.stack.databaseUrl('shipping-service'),
    'select order_id, count(*) as n from shipments where order_id = any($1) group by order_id',
    [ids],
  );
  const notifications = await query<{ order_id: string; kind: string; n: string }>(
    input.stack.databaseUrl('notification-service'),
    'select order_id, kind, count(*) as n from notifications where order_id = any($1) group by order_id, kind',
    [ids],
  );
  for (const order of finals.values()) {
    const id = order.orderId;
    const paid = order.history.some((e) => PAID_OR_LATER.includes(e.status));
    const approved = payments
      .filter((p) => p.order_id === id && p.status === 'PROCESSED')
      .reduce((n, p) => n + Number(p.n), 0);
    if (approved !== (paid ? 1 : 0))
      fail('one-approved-charge', `${id} (${order.status}): ${approved} approved payments`);
    const reservation = reservations.find((r) => r.order_id === id);
    const wantedReservation: Record<string, string[]> = {
      SHIPPING_SCHEDULED: ['COMMITTED'],
      CANCELLED: ['RELEASED'],
      REJECTED: ['REJECTED'],
    };
    const wanted = wantedReservation[order.status];
    if (wanted && !wanted.includes(reservation?.status ?? 'none'))
      fail(
        'reservation',
        `${id} (${order.status}): reservation ${reservation?.status ?? 'none'}, expected ${wanted.join('/')}`,
      );
    const shipped = Number(shipments.find((s) => s.order_id === id)?.n ?? 0);
    if (shipped !== (order.status === 'SHIPPING_SCHEDULED' ? 1 : 0))
      fail('one-shipment', `${id} (${order.status}): ${shipped} shipments`);
    const kinds = notifications.filter((n) => n.order_id === id);
    const got = kinds.map((n) => n.kind).sort();
    const expected = NOTIFICATIONS[order.status] ?? [];
    if (got.join() !== expected.join() || kinds.some((n) => Number(n.n) !== 1))
      fail(
        'one-notification-per-kind',
        `${id} (${order.status}): [${got.join(', ')}], expected [${expected.join(', ')}]`,
      );
  }
}

async function checkOutboxes(stack: ChaosStack, fail: Fail) {
  for (const app of MESSAGING_SERVICES) {
    const [row] = await query<{ n: string }>(
      stack.databaseUrl(app),
      'select count(*) as n from messaging_outbox',
    );
    if (Number(row.n) > 0) fail('outbox-drained', `${app}: ${row.n} unpublished outbox rows`);
  }
}

function checkSockets(customers: ChaosCustomer[], finals: Map<string, OrderSnapshot>, fail: Fail) {
  for (const customer of customers) {
    for (const orderId of customer.orders) {
      const final = finals.get(orderId);
      const seen = customer.seen.get(orderId);
      if (final && (seen?.status !== final.status || seen.version !== final.version))
        fail(
          'socket-converged',
          `${customer.id} shows ${orderId} as ${seen ? `${seen.status} v${seen.version}` : 'nothing'}, final ${final.status} v${final.version}`,
        );
    }
  }
}

/** Whether every socket client shows the final status of each of its orders (for quiescence). */
export async function socketsConverged(
  stack: ChaosStack,
  customers: ChaosCustomer[],
  orderIds: string[],
): Promise<boolean> {
  const rows = await query<{ id: string; status: string; version: number }>(
    stack.databaseUrl('order-service'),
    'select id, status, version from orders where id = any($1::uuid[])',
    [orderIds],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return customers.every((c) =>
    c.orders.every((id) => {
      const seen = c.seen.get(id);
      return seen !== undefined && seen.version === byId.get(id)?.version;
    }),
  );
}
