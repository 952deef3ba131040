import { ValidationProblem } from '@orderflow/service-defaults';

/** The required `orderId` query parameter of the per-order list endpoints. */
export function parseOrderIdQuery(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length < 1 || raw.length > 100) {
    throw new ValidationProblem([
      { field: 'orderId', message: 'is required: the id of one order (1-100 characters)' },
    ]);
  }
  return raw;
}
