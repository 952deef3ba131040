import { ValidationProblem } from '@orderflow/service-defaults';
import { parsePlaceOrderRequest } from './place-order.request';

const address = { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };
const valid = { items: [{ sku: 'SKU-1', quantity: 2 }], paymentToken: 'tok_visa', shippingAddress: address };

function fieldsOf(body: unknown): string[] {
  try {
    parsePlaceOrderRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    return (error as ValidationProblem).errors.map((e) => e.field);
  }
  throw new Error('expected a validation problem');
}

describe('POST /orders body', () => {
  it('accepts a valid order and defaults the payment token', () => {
    expect(parsePlaceOrderRequest(valid)).toEqual(valid);
    const { paymentToken: _omitted, ...withoutToken } = valid;
    expect(parsePlaceOrderRequest(withoutToken).paymentToken).toBe('tok_visa');
    expect(
      parsePlaceOrderRequest({ ...valid, shippingAddress: { ...address, line2: 'Apt 4' } }).shippingAddress
        .line2,
    ).toBe('Apt 4');
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', [valid], ['/']],
    ['null', null, ['/']],
    ['missing everything', {}, ['/items', '/shippingAddress']],
    ['items not an array', { ...valid, items: 'x' }, ['/items']],
    ['no items', { ...valid, items: [] }, ['/items']],
    [
      '51 items',
      { ...valid, items: Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })) },
      ['/items'],
    ],
    ['quantity 0', { ...valid, items: [{ sku: 'A', quantity: 0 }] }, ['/items/0/quantity']],
    ['quantity 101', { ...valid, items: [{ sku: 'A', quantity: 101 }] }, ['/items/0/quantity']],
    ['quantity 1.5', { ...valid, items: [{ sku: 'A', quantity: 1.5 }] }, ['/items/0/quantity']],
    ['quantity as text', { ...valid, items: [{ sku: 'A', quantity: '2' }] }, ['/items/0/quantity']],
    ['missing sku', { ...valid, items: [{ quantity: 1 }] }, ['/items/0/sku']],
    ['bad sku', { ...valid, items: [{ sku: 'a b', quantity: 1 }] }, ['/items/0/sku']],
    ['long sku', { ...valid, items: [{ sku: 'x'.repeat(65), quantity: 1 }] }, ['/items/0/sku']],
    [
      'duplicate sku',
      {
        ...valid,
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 2 },
        ],
      },
      ['/items/1/sku'],
    ],
    ['line not an object', { ...valid, items: [7] }, ['/items/0']],
    [
      'unknown line property',
      { ...valid, items: [{ sku: 'A', quantity: 1, priceCents: 1 }] },
      ['/items/0/priceCents'],
    ],
    ['unknown property', { ...valid, totalCents: 1 }, ['/totalCents']],
    ['empty token', { ...valid, paymentToken: '' }, ['/paymentToken']],
    ['token not a string', { ...valid, paymentToken: 5 }, ['/paymentToken']],
    ['address missing', { items: valid.items }, ['/shippingAddress']],
    ['address not an object', { ...valid, shippingAddress: 'Berlin' }, ['/shippingAddress']],
    [
      'address without city',
      { ...valid, shippingAddress: { ...address, city: undefined } },
      ['/shippingAddress/city'],
    ],
    ['blank name', { ...valid, shippingAddress: { ...address, name: '  ' } }, ['/shippingAddress/name']],
    [
      'lower-case country',
      { ...valid, shippingAddress: { ...address, country: 'de' } },
      ['/shippingAddress/country'],
    ],
    [
      'unknown country',
      { ...valid, shippingAddress: { ...address, country: 'XX' } },
      ['/shippingAddress/country'],
    ],
    [
      'alpha-3 country',
      { ...valid, shippingAddress: { ...address, country: 'DEU' } },
      ['/shippingAddress/country'],
    ],
    [
      'unknown address property',
      { ...valid, shippingAddress: { ...address, phone: '1' } },
      ['/shippingAddress/phone'],
    ],
  ])('rejects %s naming the field', (_what, body, fields) => {
    expect(fieldsOf(body)).toEqual(fields);
  });

  it('names every bad field at once', () => {
    expect(
      fieldsOf({ items: [{ sku: '', quantity: 0 }], shippingAddress: { ...address, country: 'd' }, x: 1 }),
    ).toEqual(['/x', '/items/0/sku', '/items/0/quantity', '/shippingAddress/country']);
  });
});
