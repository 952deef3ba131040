import type { OrderStatus } from '@orderflow/contracts';
import { decide, plan, SagaEvent } from './order-state-machine';

const reserved: SagaEvent = {
  type: 'InventoryReserved',
  items: [{ sku: 'A', quantity: 2, unitPriceCents: 150 }],
  totalCents: 300,
  currency: 'EUR',
};
const rejected: SagaEvent = { type: 'InventoryRejected', reason: 'insufficient_stock' };
const paid: SagaEvent = { type: 'PaymentProcessed' };
const failed: SagaEvent = { type: 'PaymentFailed', reason: 'card_declined' };
const released: SagaEvent = { type: 'InventoryReleased', reason: 'card_declined' };
const shipped: SagaEvent = { type: 'ShipmentScheduled' };

describe('order state machine', () => {
  it.each<[OrderStatus, SagaEvent, OrderStatus]>([
    ['PENDING', reserved, 'INVENTORY_RESERVED'],
    ['PENDING', rejected, 'REJECTED'],
    ['INVENTORY_RESERVED', paid, 'PAID'],
    ['INVENTORY_RESERVED', failed, 'PAYMENT_FAILED'],
    ['PAYMENT_FAILED', released, 'CANCELLED'],
    ['PAID', shipped, 'SHIPPING_SCHEDULED'],
  ])('moves %s on %o to %s', (from, event, to) => {
    expect(decide(from, event)).toMatchObject({ kind: 'apply', to });
  });

  it('carries the reason of rejections, declines and releases, and none on success', () => {
    expect(decide('PENDING', rejected)).toMatchObject({ reason: 'insufficient_stock' });
    expect(decide('INVENTORY_RESERVED', failed)).toMatchObject({ reason: 'card_declined' });
    expect(decide('PAYMENT_FAILED', released)).toMatchObject({ reason: 'card_declined' });
    expect(decide('INVENTORY_RESERVED', paid)).toMatchObject({ reason: null });
  });

  it('prices the order when inventory reserves it', () => {
    expect(decide('PENDING', reserved)).toEqual({
      kind: 'apply',
      to: 'INVENTORY_RESERVED',
      reason: null,
      pricing: { items: [{ sku: 'A', quantity: 2, unitPriceCents: 150 }], totalCents: 300, currency: 'EUR' },
    });
  });

  it.each<[OrderStatus, SagaEvent]>([
    ['PENDING', paid],
    ['PENDING', failed],
    ['PENDING', released],
    ['INVENTORY_RESERVED', released],
    ['PENDING', shipped],
    ['INVENTORY_RESERVED', shipped],
  ])('parks an early event: %s on %o', (from, event) => {
    expect(decide(from, event)).toEqual({ kind: 'park' });
  });

  it.each<[OrderStatus, SagaEvent]>([
    ['INVENTORY_RESERVED', reserved],
    ['SHIPPING_SCHEDULED', reserved],
    ['REJECTED', reserved],
    ['INVENTORY_RESERVED', rejected],
    ['PAID', paid],
    ['SHIPPING_SCHEDULED', paid],
    ['CANCELLED', failed],
    ['PAYMENT_FAILED', failed],
    ['CANCELLED', released],
    ['SHIPPING_SCHEDULED', shipped],
    ['REJECTED', paid],
  ])('ignores a stale or duplicate event: %s on %o', (from, event) => {
    expect(decide(from, event)).toEqual({ kind: 'stale' });
  });

  describe('plan', () => {
    const entry = (id: number, event: SagaEvent) => ({ id, event });

    it('applies parked events once the incoming one unlocks them, in order, until nothing moves', () => {
      const parked = [entry(1, shipped), entry(2, paid)];
      const result = plan('PENDING', reserved, parked);
      expect(result.steps.map((s) => s.decision.to)).toEqual([
        'INVENTORY_RESERVED',
        'PAID',
        'SHIPPING_SCHEDULED',
      ]);
      expect(result.steps.map((s) => (s.source === 'incoming' ? 'incoming' : s.source.id))).toEqual([
        'incoming',
        2,
        1,
      ]);
      expect(result.consumed.map((c) => c.id).sort()).toEqual([1, 2]);
      expect(result.parkIncoming).toBe(false);
    });

    it('resolves InventoryReleased that overtook PaymentFailed', () => {
      const result = plan('INVENTORY_RESERVED', released, []);
      expect(result).toEqual({ steps: [], consumed: [], parkIncoming: true });
      const later = plan('INVENTORY_RESERVED', failed, [entry(7, released)]);
      expect(later.steps.map((s) => [s.decision.to, s.decision.reason])).toEqual([
        ['PAYMENT_FAILED', 'card_declined'],
        ['CANCELLED', 'card_declined'],
      ]);
    });

    it('drops parked events that became stale and keeps the ones still waiting', () => {
      const result = plan('PENDING', rejected, [entry(1, paid), entry(2, shipped)]);
      expect(result.steps.map((s) => s.decision.to)).toEqual(['REJECTED']);
      expect(result.consumed.map((c) => c.id)).toEqual([1, 2]);
    });

    it('changes nothing for a stale incoming event', () => {
      expect(plan('PAID', paid, [entry(1, shipped)])).toEqual({
        steps: [],
        consumed: [],
        parkIncoming: false,
      });
    });
  });
});
