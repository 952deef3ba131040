import { OutboxWriter } from './outbox-writer';

/** The Unix milliseconds in the first 48 bits of a UUIDv7. */
const embeddedTime = (uuid: string) => parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);

describe('OutboxWriter event ids', () => {
  const payment = (orderId: string) => ({
    type: 'PaymentProcessed' as const,
    payload: {
      orderId,
      customerId: 'c0ffee00-0000-4000-8000-000000000001',
      paymentId: 'c0ffee00-0000-4000-8000-000000000002',
      amountCents: 1250,
      currency: 'EUR',
    },
  });

  it('are UUIDv7s carrying the time they were minted, so inbox keys arrive in time order', () => {
    const writer = new OutboxWriter({ producer: 'payment-service' });
    const before = Date.now();
    const insert = writer.statement([
      payment('0a0a0a0a-0000-4000-8000-000000000001'),
      payment('0a0a0a0a-0000-4000-8000-000000000002'),
    ]);
    const after = Date.now();

    expect(insert?.eventIds).toHaveLength(2);
    for (const id of insert!.eventIds) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(embeddedTime(id)).toBeGreaterThanOrEqual(before);
      expect(embeddedTime(id)).toBeLessThanOrEqual(after);
    }
    expect(new Set(insert!.eventIds).size).toBe(2);
  });
});
