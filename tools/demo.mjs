#!/usr/bin/env node
// `npm run demo [-- --token tok_declined]`: against a running `npm start`, places one order and
// prints each status it goes through until a terminal one.
import jwt from 'jsonwebtoken';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const orderUrl = option('--url', process.env.ORDER_URL ?? 'http://127.0.0.1:3001');
const paymentToken = option('--token', 'tok_visa');
const sku = option('--sku', 'SKU-1');
// The development secret of libs/service-defaults (DEV_JWT_SECRET), unless JWT_SECRET is set.
const secret = process.env.JWT_SECRET ?? 'orderflow-dev-secret-change-me-0123456789';
const auth = {
  authorization: `Bearer ${jwt.sign({ roles: [] }, secret, { subject: 'demo-customer', expiresIn: 600 })}`,
};
const TERMINAL = new Set(['SHIPPING_SCHEDULED', 'REJECTED', 'CANCELLED']);

const placed = await fetch(`${orderUrl}/orders`, {
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/json' },
  body: JSON.stringify({
    items: [{ sku, quantity: 1 }],
    paymentToken,
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  }),
});
const body = await placed.json();
if (placed.status !== 202) {
  console.error(`POST /orders answered ${placed.status}: ${JSON.stringify(body)}`);
  process.exit(1);
}
console.log(`POST /orders → ${placed.status} ${placed.headers.get('location')}`);

const deadline = Date.now() + 30_000;
let seen = 0;
for (;;) {
  const order = await (await fetch(`${orderUrl}/orders/${body.orderId}`, { headers: auth })).json();
  for (const change of order.history.slice(seen)) {
    console.log(
      `  v${change.version} ${change.status}${change.reason ? ` (${change.reason})` : ''}  ${change.at}`,
    );
  }
  seen = order.history.length;
  if (TERMINAL.has(order.status)) {
    console.log(
      order.totalCents === null ? 'not priced' : `total ${order.totalCents} ${order.currency} cents`,
    );
    break;
  }
  if (Date.now() > deadline) {
    console.error(`still ${order.status} after 30 s: are all six apps running (npm start)?`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
