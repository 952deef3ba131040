import type { StockRow } from './reservation-decision';
import { decideInRunOrder } from './reservation-run';

const stock: StockRow[] = [
  { sku: 'A', priceCents: 100, currency: 'EUR', available: 5 },
  { sku: 'B', priceCents: 200, currency: 'EUR', available: 10 },
];

describe('decideInRunOrder', () => {
  it('decides each order against what the orders before it in the run left', () => {
    const run = decideInRunOrder(
      [
        { id: 1, items: [{ sku: 'A', quantity: 4 }] },
        { id: 2, items: [{ sku: 'A', quantity: 2 }] },
        { id: 3, items: [{ sku: 'A', quantity: 1 }] },
        { id: 4, items: [{ sku: 'A', quantity: 1 }] },
      ],
      stock,
    );
    expect(run.decided.map(({ order, decision }) => [order.id, decision.outcome])).toEqual([
      [1, 'reserve'],
      [2, 'reject'],
      [3, 'reserve'],
      [4, 'reject'],
    ]);
    expect(run.taken).toEqual([{ sku: 'A', quantity: 5 }]);
  });

  it('sums what the reserved orders take per SKU, sorted by SKU, and leaves the input alone', () => {
    const run = decideInRunOrder(
      [
        {
          items: [
            { sku: 'B', quantity: 3 },
            { sku: 'A', quantity: 1 },
          ],
        },
        { items: [{ sku: 'B', quantity: 8 }] },
        { items: [{ sku: 'B', quantity: 7 }] },
      ],
      stock,
    );
    expect(run.decided.map(({ decision }) => decision.outcome)).toEqual(['reserve', 'reject', 'reserve']);
    expect(run.taken).toEqual([
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 10 },
    ]);
    expect(stock.map((row) => row.available)).toEqual([5, 10]);
  });

  it('takes nothing for an order rejected for an unknown SKU', () => {
    const run = decideInRunOrder(
      [
        {
          items: [
            { sku: 'A', quantity: 5 },
            { sku: 'Z', quantity: 1 },
          ],
        },
      ],
      stock,
    );
    expect(run.decided[0].decision).toEqual({ outcome: 'reject', reason: 'unknown_sku', skus: ['Z'] });
    expect(run.taken).toEqual([]);
  });
});
