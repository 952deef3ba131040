import { OutboxWriter } from './outbox-writer';

/** The Unix milliseconds in the first 48 bits of a UUIDv7. */
const embeddedTime = (uuid: string) => parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);

describe('OutboxWriter', () => {
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

  it('mints event ids as UUIDv7s carrying the time they were minted, so inbox keys arrive in time order', () => {
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

  it("puts a transaction's events in one row, in the order published, each key locked once in sorted order", () => {
    const writer = new OutboxWriter({ producer: 'payment-service', topicPrefix: 'run1.' });
    const [b, a] = ['0b0b0b0b-0000-4000-8000-000000000002', '0a0a0a0a-0000-4000-8000-000000000001'];
    const insert = writer.statement([payment(b), payment(a), payment(b)])!;

    const [keys, count, array] = insert.params as [string[], number, string];
    expect(keys).toEqual([a, b]);
    expect(count).toBe(3);
    const events = JSON.parse(array) as Array<Record<string, unknown>>;
    expect(events.map((event) => [event.eventId, event.key, event.topic, event.type])).toEqual(
      insert.eventIds.map((eventId, i) => [
        eventId,
        [b, a, b][i],
        'run1.payments.events',
        'PaymentProcessed',
      ]),
    );
    expect(events[1]).toMatchObject({
      payload: payment(a).payload,
      headers: { 'event-id': insert.eventIds[1], 'correlation-id': a, producer: 'payment-service' },
    });
  });
});
