import { ValidationProblem } from './problem';

/** The required `orderId` query parameter of the per-order list endpoints. */
export function parseOrderIdQuery(raw: unknown): string {
  // Control characters (NUL above all) never form an id, and Postgres refuses NUL in text (a 500).
  if (
    typeof raw !== 'string' ||
    raw.length < 1 ||
    raw.length > 100 ||
    [...raw].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f')
  ) {
    throw new ValidationProblem([
      { field: 'orderId', message: 'is required: the id of one order (1-100 printable characters)' },
    ]);
  }
  return raw;
}
