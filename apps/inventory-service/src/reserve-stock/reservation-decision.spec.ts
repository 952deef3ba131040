import { decideReservation, StockRow } from './reservation-decision';

const stock: StockRow[] = [
  { sku: 'A', priceCents: 1999, currency: 'EUR', available: 5 },
  { sku: 'B', priceCents: 500, currency: 'EUR', available: 0 },
  { sku: 'C', priceCents: 100, currency: 'EUR', available: 10 },
];

describe('decideReservation', () => {
  it('prices every line and totals them when all are in stock', () => {
    expect(
      decideReservation(
        [
          { sku: 'A', quantity: 2 },
          { sku: 'C', quantity: 10 },
        ],
        stock,
      ),
    ).toEqual({
      outcome: 'reserve',
      lines: [
        { sku: 'A', quantity: 2, unitPriceCents: 1999 },
        { sku: 'C', quantity: 10, unitPriceCents: 100 },
      ],
      totalCents: 2 * 1999 + 10 * 100,
      currency: 'EUR',
    });
  });

  it('takes the whole available stock but not one more', () => {
    expect(decideReservation([{ sku: 'A', quantity: 5 }], stock).outcome).toBe('reserve');
    expect(decideReservation([{ sku: 'A', quantity: 6 }], stock)).toEqual({
      outcome: 'reject',
      reason: 'insufficient_stock',
      skus: ['A'],
    });
  });

  it('rejects the whole order when one line is short, naming only the short lines', () => {
    expect(
      decideReservation(
        [
          { sku: 'C', quantity: 1 },
          { sku: 'B', quantity: 1 },
          { sku: 'A', quantity: 9 },
        ],
        stock,
      ),
    ).toEqual({
      outcome: 'reject',
      reason: 'insufficient_stock',
      skus: ['A', 'B'],
    });
  });

  it('gives unknown_sku precedence over insufficient_stock', () => {
    expect(
      decideReservation(
        [
          { sku: 'B', quantity: 1 },
          { sku: 'Z', quantity: 1 },
          { sku: 'Y', quantity: 1 },
        ],
        stock,
      ),
    ).toEqual({
      outcome: 'reject',
      reason: 'unknown_sku',
      skus: ['Y', 'Z'],
    });
  });

  it('refuses to price an order across currencies', () => {
    const mixed: StockRow[] = [...stock, { sku: 'D', priceCents: 1, currency: 'USD', available: 1 }];
    expect(
      decideReservation(
        [
          { sku: 'A', quantity: 1 },
          { sku: 'D', quantity: 1 },
        ],
        mixed,
      ),
    ).toEqual({
      outcome: 'mixed-currency',
      currencies: ['EUR', 'USD'],
    });
  });
});
