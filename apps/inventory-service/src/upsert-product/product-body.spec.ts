import { parseProductBody } from './product-body';

describe('parseProductBody', () => {
  it('accepts a full body and defaults the currency to EUR', () => {
    expect(parseProductBody({ name: ' Mug ', priceCents: 0, available: 3 })).toEqual({
      ok: true,
      value: { name: 'Mug', priceCents: 0, currency: 'EUR', available: 3 },
    });
  });

  it('names every bad field', () => {
    const result = parseProductBody({
      name: '',
      priceCents: 1.5,
      currency: 'eur',
      available: -1,
      colour: 'red',
    });
    expect(result.ok).toBe(false);
    const fields = result.ok ? [] : result.errors.map((e) => e.field).sort();
    expect(fields).toEqual(['/available', '/colour', '/currency', '/name', '/priceCents']);
  });

  it.each([null, [], 'text', 42])('refuses %p as a body', (body) => {
    expect(parseProductBody(body)).toEqual({
      ok: false,
      errors: [{ field: '/', message: 'must be a JSON object' }],
    });
  });

  it('refuses numbers given as strings', () => {
    const result = parseProductBody({ name: 'Mug', priceCents: '100', available: '1' });
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual(['/priceCents', '/available']);
  });
});
