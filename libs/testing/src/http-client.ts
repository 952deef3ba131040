import type { OrderSnapshot, OrderStatus } from '@orderflow/contracts';
import { waitFor } from './wait-for';

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (e.g. not JSON); overrides `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** One HTTP call; the body is parsed when it is JSON, else returned as text. */
export async function request<T = unknown>(
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  const isJson = /json/.test(res.headers.get('content-type') ?? '');
  return { status: res.status, headers: res.headers, body: (isJson && text ? JSON.parse(text) : text) as T };
}

export const DEMO_ADDRESS = {
  name: 'Ada',
  line1: '1 Main St',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
};

export interface PlaceOrderBody {
  items: { sku: string; quantity: number }[];
  paymentToken?: string;
  shippingAddress?: typeof DEMO_ADDRESS;
}

export type PlacedOrder = { orderId: string; status: 'PENDING'; version: number };

/** POST /orders with the demo address unless one is given. */
export function placeOrder(
  orderServiceUrl: string,
  token: string,
  body: PlaceOrderBody,
  options: { idempotencyKey?: string } = {},
): Promise<HttpResult<PlacedOrder>> {
  const headers: Record<string, string> = {};
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  return request<PlacedOrder>('POST', `${orderServiceUrl}/orders`, {
    token,
    headers,
    body: { shippingAddress: DEMO_ADDRESS, ...body },
  });
}

export async function getOrder(
  orderServiceUrl: string,
  token: string,
  orderId: string,
): Promise<OrderSnapshot> {
  const res = await request<OrderSnapshot>('GET', `${orderServiceUrl}/orders/${orderId}`, { token });
  if (res.status !== 200)
    throw new Error(`GET /orders/${orderId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Polls GET /orders/{id} until the order has one of `statuses`; returns it. */
export function waitForStatus(
  orderServiceUrl: string,
  token: string,
  orderId: string,
  statuses: OrderStatus | OrderStatus[],
  { timeoutMs = 60_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<OrderSnapshot> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  let last: OrderSnapshot | undefined;
  return waitFor(
    `order ${orderId} to reach ${wanted.join(' or ')}`,
    async () => {
      last = await getOrder(orderServiceUrl, token, orderId);
      return wanted.includes(last.status) ? last : undefined;
    },
    { timeoutMs, intervalMs },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${last ? `${last.status} v${last.version}` : 'nothing'}`);
  });
}

/** Admin upsert of a catalog product on inventory-service (PUT /products/{sku}). */
export async function seedProduct(
  inventoryUrl: string,
  adminToken: string,
  sku: string,
  product: { name?: string; priceCents: number; available: number; currency?: string },
): Promise<void> {
  const res = await request('PUT', `${inventoryUrl}/products/${encodeURIComponent(sku)}`, {
    token: adminToken,
    body: { name: product.name ?? `Test product ${sku}`, ...product },
  });
  if (res.status >= 300)
    throw new Error(`PUT /products/${sku} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** Places an order and waits until it is shipped; returns its id. A refusal (not 202) throws. */
export async function placeShippedOrder(
  orderServiceUrl: string,
  token: string,
  body: PlaceOrderBody,
  timeoutMs = 90_000,
): Promise<string> {
  const placed = await placeOrder(orderServiceUrl, token, body);
  if (placed.status !== 202)
    throw new Error(`POST /orders answered ${placed.status}, expected 202: ${JSON.stringify(placed.body)}`);
  await waitForStatus(orderServiceUrl, token, placed.body.orderId, 'SHIPPING_SCHEDULED', { timeoutMs });
  return placed.body.orderId;
}
