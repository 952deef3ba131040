import { type EventPayloads, compileAllEventSchemas, supportedVersions, validateEvent } from './index';

const orderCreated = (): EventPayloads['OrderCreated'] => ({
  orderId: '7d0c8a2e-5b7f-4e4a-9a57-2f1f6a3c9b10',
  customerId: 'customer-42',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  createdAt: '2025-03-14T09:26:53.589Z',
});

describe('validateEvent', () => {
  it('accepts a valid payload', () => {
    expect(validateEvent('OrderCreated', 1, orderCreated())).toEqual({ ok: true });
  });

  it('names every violation with its JSON path', () => {
    const payload = {
      ...orderCreated(),
      items: [{ sku: 'not a sku', quantity: 0 }],
      createdAt: 'yesterday',
      shippingAddress: { name: 'Ada' },
    };
    const result = validateEvent('OrderCreated', 1, payload);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual(
      expect.arrayContaining([
        '/items/0/sku must match pattern "^[A-Za-z0-9._-]{1,64}$"',
        '/items/0/quantity must be >= 1',
        '/createdAt must match format "date-time"',
        "/shippingAddress must have required property 'line1'",
      ]),
    );
  });

  it('rejects a wrong enum value, a wrong type, money as a fraction and a lower-case currency', () => {
    const failed = {
      orderId: 'o-1',
      customerId: 'c-1',
      paymentId: 'p-1',
      amountCents: 10.5,
      currency: 'eur',
      reason: 'stolen_card',
    };
    const result = validateEvent('PaymentFailed', 1, failed);
    expect(result.ok ? [] : result.errors).toEqual([
      '/amountCents must be integer',
      '/currency must match pattern "^[A-Z]{3}$"',
      '/reason must be equal to one of the allowed values',
    ]);
    expect(validateEvent('PaymentFailed', 1, null)).toEqual({ ok: false, errors: ['/ must be object'] });
  });

  it('tolerates unknown fields, so an added optional field does not break older readers', () => {
    expect(validateEvent('OrderCreated', 1, { ...orderCreated(), giftWrap: true })).toEqual({ ok: true });
  });

  it('rejects unknown event types and versions it has no schema for', () => {
    expect(validateEvent('OrderShipped', 1, {})).toEqual({
      ok: false,
      errors: ['unknown event type OrderShipped'],
    });
    expect(validateEvent('OrderCreated', 2, orderCreated())).toEqual({
      ok: false,
      errors: ['unsupported version 2 of OrderCreated'],
    });
    expect(supportedVersions('OrderCreated')).toEqual([1]);
  });

  it('is fast enough for the hot path once compiled', () => {
    compileAllEventSchemas();
    const payload = orderCreated();
    const started = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) validateEvent('OrderCreated', 1, payload);
    const microsPerEvent = Number(process.hrtime.bigint() - started) / 10_000 / 1000;
    expect(microsPerEvent).toBeLessThan(100);
  });
});
