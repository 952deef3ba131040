import { request, SagaStack, uniqueName, waitFor } from '@orderflow/testing';

export type Page<T> = { items: T[]; nextCursor: string | null };
export type Product = {
  sku: string;
  priceCents: number;
  currency: string;
  available: number;
  reserved: number;
};
export type Payment = { orderId: string; amountCents: number; reason: string | null };
export type Shipment = { orderId: string; carrier: string; trackingNumber: string };
export type Notification = { orderId: string; kind: string };

/** What the saga's services show about an order through their HTTP APIs, for the saga e2e files. */
export class SagaApi {
  /** An operator token (admin role). */
  readonly admin: string;

  constructor(private readonly stack: SagaStack) {
    this.admin = stack.token('operator', { admin: true });
  }

  /** A customer no other test or run has used. */
  newCustomer(): { id: string; token: string } {
    const id = uniqueName('customer');
    return { id, token: this.stack.token(id) };
  }

  async product(sku: string): Promise<Product> {
    const res = await request<Product>('GET', `${this.stack.url('inventory-service')}/products/${sku}`, {
      token: this.admin,
    });
    expect(res.status).toBe(200);
    return res.body;
  }

  async listOf<T>(app: string, path: string, token: string): Promise<T[]> {
    const res = await request<Page<T>>('GET', `${this.stack.url(app)}${path}`, { token });
    expect(res.status).toBe(200);
    return res.body.items;
  }

  payments(orderId: string, token: string): Promise<Payment[]> {
    return this.listOf<Payment>('payment-service', `/payments?orderId=${orderId}`, token);
  }

  shipments(orderId: string, token: string): Promise<Shipment[]> {
    return this.listOf<Shipment>('shipping-service', `/shipments?orderId=${orderId}`, token);
  }

  notifications(orderId: string, token: string): Promise<Notification[]> {
    return this.listOf<Notification>('notification-service', `/notifications?orderId=${orderId}`, token);
  }

  /** Waits until the order's notifications include `kinds`; returns every kind sent, sorted. */
  async notificationKinds(orderId: string, token: string, kinds: string[]): Promise<string[]> {
    const sent = await waitFor(
      `notifications ${kinds.join(', ')} for ${orderId}`,
      async () => {
        const all = (await this.notifications(orderId, token)).map((n) => n.kind);
        return kinds.every((k) => all.includes(k)) && all;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    return [...sent].sort();
  }
}
