import type { FieldError } from '@orderflow/service-defaults';

export interface ProductBody {
  name: string;
  priceCents: number;
  currency: string;
  available: number;
}

export const MAX_PRICE_CENTS = 100_000_000;
export const MAX_STOCK = 1_000_000_000;
const ALLOWED = new Set(['name', 'priceCents', 'currency', 'available']);

const isIntIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** Validates a PUT /products/{sku} body: every problem is reported, each naming its field. */
export function parseProductBody(
  body: unknown,
): { ok: true; value: ProductBody } | { ok: false; errors: FieldError[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '/', message: 'must be a JSON object' }] };
  }
  const input = body as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(input)
    .filter((key) => !ALLOWED.has(key))
    .map((key) => ({ field: `/${key}`, message: 'is not an allowed property' }));
  const name = typeof input.name === 'string' ? input.name.trim() : undefined;
  if (!name || name.length > 200)
    errors.push({ field: '/name', message: 'must be a non-blank string of at most 200 characters' });
  if (!isIntIn(input.priceCents, 0, MAX_PRICE_CENTS)) {
    errors.push({ field: '/priceCents', message: `must be an integer from 0 to ${MAX_PRICE_CENTS}` });
  }
  const currency = input.currency ?? 'EUR';
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    errors.push({
      field: '/currency',
      message: 'must be an ISO 4217 code of three capital letters, e.g. EUR',
    });
  }
  if (!isIntIn(input.available, 0, MAX_STOCK)) {
    errors.push({ field: '/available', message: `must be an integer from 0 to ${MAX_STOCK}` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: name!,
      priceCents: input.priceCents as number,
      currency: currency as string,
      available: input.available as number,
    },
  };
}
