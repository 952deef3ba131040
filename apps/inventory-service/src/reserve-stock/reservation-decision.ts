import type { OrderLine, PricedOrderLine, RejectionReason } from '@orderflow/contracts';

/** The stock row of one SKU as read (and locked) when deciding. */
export interface StockRow {
  sku: string;
  priceCents: number;
  currency: string;
  available: number;
}

export type ReservationDecision =
  | { outcome: 'reserve'; lines: PricedOrderLine[]; totalCents: number; currency: string }
  | { outcome: 'reject'; reason: RejectionReason; skus: string[] }
  /** The catalog is single-currency (PUT /products enforces it); an order mixing two is a bug. */
  | { outcome: 'mixed-currency'; currencies: string[] };

/**
 * All or nothing: any unknown SKU rejects the order with `unknown_sku` (it wins over stock), else
 * any line with more than the available stock rejects it with `insufficient_stock`. Both list
 * the offending SKUs, sorted.
 */
export function decideReservation(
  lines: readonly OrderLine[],
  stock: readonly StockRow[],
): ReservationDecision {
  const bySku = new Map(stock.map((row) => [row.sku, row]));
  const unknown = lines.filter((line) => !bySku.has(line.sku)).map((line) => line.sku);
  if (unknown.length > 0) return { outcome: 'reject', reason: 'unknown_sku', skus: unknown.sort() };

  const short = lines
    .filter((line) => bySku.get(line.sku)!.available < line.quantity)
    .map((line) => line.sku);
  if (short.length > 0) return { outcome: 'reject', reason: 'insufficient_stock', skus: short.sort() };

  const currencies = [...new Set(lines.map((line) => bySku.get(line.sku)!.currency))].sort();
  if (currencies.length > 1) return { outcome: 'mixed-currency', currencies };

  const priced = lines.map((line) => ({
    sku: line.sku,
    quantity: line.quantity,
    unitPriceCents: bySku.get(line.sku)!.priceCents,
  }));
  const totalCents = priced.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  return { outcome: 'reserve', lines: priced, totalCents, currency: currencies[0]! };
}
