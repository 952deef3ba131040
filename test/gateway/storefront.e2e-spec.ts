import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import {
  DEMO_ADDRESS,
  placeOrder,
  REPO_ROOT,
  SagaStack,
  seedProduct,
  SYSTEM_APPS,
  uniqueName,
} from '@orderflow/testing';
import { connectClient, LiveClient, statusesOf, subscribe, waitForStatuses } from './support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'tmp/artifacts');

// The real saga (five services) plus the gateway, through public APIs only, as processes of this
// test or an already-running stack (E2E_TARGET); and the storefront page in headless Chromium
// (Debian's `chromium` package: `apt-get install -y chromium`).
describe('gateway on the real saga', () => {
  const run = uniqueName('gwsaga');
  // The storefront lists the first 100 products by SKU: this one sorts before every other run's.
  const sku = `0${(Number.MAX_SAFE_INTEGER - Date.now()).toString(36)}-${run}`;
  let stack: SagaStack;
  let gatewayUrl: string;
  let browser: Browser | undefined;
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
    stack = await SagaStack.start({
      apps: SYSTEM_APPS,
    });
    gatewayUrl = stack.url('gateway');
    await seedProduct(stack.url('inventory-service'), stack.token('ops', { admin: true }), sku, {
      name: 'Storefront widget',
      priceCents: 1250,
      available: 1000,
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.socket.disconnect();
    await browser?.close();
    await stack?.close();
  });

  it("pushes PENDING → … → SHIPPING_SCHEDULED for the customer's own order, and nothing of others'", async () => {
    const ann = await connectClient(gatewayUrl, stack.token(`ann-${run}`));
    const ben = await connectClient(gatewayUrl, stack.token(`ben-${run}`));
    clients.push(ann, ben);
    const { status, body: placed } = await placeOrder(stack.url('order-service'), stack.token(`ann-${run}`), {
      items: [{ sku, quantity: 1 }],
      paymentToken: 'tok_visa',
      shippingAddress: DEMO_ADDRESS,
    });
    expect(status).toBe(202);
    await waitForStatuses(ann, placed.orderId, 4, 60_000);
    expect(statusesOf(ann, placed.orderId)).toEqual([
      '1:PENDING',
      '2:INVENTORY_RESERVED',
      '3:PAID',
      '4:SHIPPING_SCHEDULED',
    ]);
    const ack = await subscribe(ann, placed.orderId);
    expect(ack).toEqual({
      ok: true,
      order: expect.objectContaining({ status: 'SHIPPING_SCHEDULED', version: 4 }),
    });
    expect(await subscribe(ben, placed.orderId)).toEqual({ ok: false, error: 'not_found' });
    expect(ben.received).toEqual([]);
  });

  it('storefront: sign in, place an order, watch SHIPPING_SCHEDULED (and a declined card) arrive live', async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(gatewayUrl);
    // Signed in with a pasted token: the dev sign-in is off in production (compose), see live-status.
    await page.click('#signin summary');
    await page.fill('#token', stack.token(`web-${run}`));
    await page.click('#token-form button');
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 15_000 });
    const quantity = page.locator(`#products input[data-sku="${sku}"]`);
    await quantity.fill('2');

    await page.selectOption('#payment-token', 'tok_visa');
    await page.click('#place-order');
    const shipped = page.locator('#order-list .timeline li', { hasText: 'SHIPPING_SCHEDULED' });
    await shipped.waitFor({ timeout: 60_000 });

    await page.selectOption('#payment-token', 'tok_declined');
    await page.click('#place-order');
    await page.locator('#order-list .timeline li', { hasText: 'CANCELLED' }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'storefront.png'), fullPage: true });

    const timelines = await page
      .locator('#order-list .order')
      .evaluateAll((items) =>
        items.map((item) => [...item.querySelectorAll('.timeline li')].map((li) => li.textContent)),
      );
    expect(timelines).toEqual([
      [
        '1. PENDING',
        '2. INVENTORY_RESERVED',
        '3. PAYMENT_FAILED (card_declined)',
        '4. CANCELLED (card_declined)',
      ],
      ['1. PENDING', '2. INVENTORY_RESERVED', '3. PAID', '4. SHIPPING_SCHEDULED'],
    ]);
    expect(errors).toEqual([]);
  });
});
