import type { OrderStatus } from '@orderflow/contracts';
import {
  getOrder,
  placeOrder,
  SAGA_SERVICES,
  SagaStack,
  seedProduct,
  uniqueName,
  waitForStatus,
} from '@orderflow/testing';
import { SagaApi } from './support/saga-api';

// The saga through an outage: payment-service killed while orders arrive, then started again on
// the same database. Needs the five services as processes of this test (test/e2e-targets.js).
const TERMINAL: OrderStatus[] = ['SHIPPING_SCHEDULED', 'REJECTED', 'CANCELLED'];

describe('the order saga through a payment-service outage', () => {
  let stack: SagaStack;
  let api: SagaApi;
  const sku = `${uniqueName('outage')}-beans`;

  beforeAll(async () => {
    stack = await SagaStack.start({
      apps: SAGA_SERVICES,
    });
    api = new SagaApi(stack);
  }, 170_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('completes orders placed while payment-service was down (killed), charging each once', async () => {
    const orders = stack.url('order-service');
    const { token } = api.newCustomer();
    await seedProduct(stack.url('inventory-service'), api.admin, sku, { priceCents: 300, available: 20 });
    await stack.stop('payment-service', 'kill');
    const placed = await Promise.all(
      Array.from({ length: 3 }, () => placeOrder(orders, token, { items: [{ sku, quantity: 1 }] })),
    );
    for (const p of placed) await waitForStatus(orders, token, p.body.orderId, 'INVENTORY_RESERVED');

    await stack.restart('payment-service');
    for (const p of placed) {
      const order = await waitForStatus(orders, token, p.body.orderId, TERMINAL, { timeoutMs: 90_000 });
      expect(order.status).toBe('SHIPPING_SCHEDULED');
      expect(order.history.map((h) => h.version)).toEqual([1, 2, 3, 4]);
      expect(await api.payments(order.orderId, token)).toHaveLength(1);
      expect(await api.shipments(order.orderId, token)).toHaveLength(1);
      const kinds = await api.notificationKinds(order.orderId, token, [
        'order_received',
        'order_confirmed',
        'order_shipped',
      ]);
      expect(kinds).toEqual(['order_confirmed', 'order_received', 'order_shipped']);
    }
    expect((await api.product(sku)).available).toBe(17);
    expect((await getOrder(orders, token, placed[0].body.orderId)).version).toBe(4);
  }, 180_000);
});
