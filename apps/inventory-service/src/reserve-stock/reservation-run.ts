import type { OrderLine } from '@orderflow/contracts';
import { decideReservation, ReservationDecision, StockRow } from './reservation-decision';

export interface StockTaken {
  sku: string;
  quantity: number;
}

export interface RunDecision<T> {
  /** Every order with its decision, in run order. */
  decided: Array<{ order: T; decision: ReservationDecision }>;
  /** What the reserved orders take in total, per SKU, sorted by SKU. */
  taken: StockTaken[];
}

/**
 * Decides a run's orders one after another, each against the stock the orders before it in the
 * run left available: the decisions of applying them one at a time, so a run never oversells.
 */
export function decideInRunOrder<T extends { items: readonly OrderLine[] }>(
  orders: readonly T[],
  stock: readonly StockRow[],
): RunDecision<T> {
  const remaining = new Map(stock.map((row) => [row.sku, { ...row }]));
  const taken = new Map<string, number>();
  const decided = orders.map((order) => {
    const rows = order.items.flatMap((line) => remaining.get(line.sku) ?? []);
    const decision = decideReservation(order.items, rows);
    if (decision.outcome === 'reserve') {
      for (const line of decision.lines) {
        remaining.get(line.sku)!.available -= line.quantity;
        taken.set(line.sku, (taken.get(line.sku) ?? 0) + line.quantity);
      }
    }
    return { order, decision };
  });
  return {
    decided,
    taken: [...taken].map(([sku, quantity]) => ({ sku, quantity })).sort((a, b) => compare(a.sku, b.sku)),
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
