import { randomUUID } from 'node:crypto';

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Sent with a customer's bearer token. */
  authenticated: boolean;
  headers?: Record<string, string>;
}

/** The no-op Nest app of the limits, or order-service. */
export type Server = 'noop' | 'order-service';

/** A request of the benchmark, each doing more of an accepted POST's work than the one before. */
export interface RequestKind {
  name: string;
  server: Server;
  what: string;
  expectedStatus: number;
  request(n: number): BenchRequest;
}

const ADDRESS = { name: 'Bench', line1: '1 Load St', city: 'Berlin', postalCode: '10115', country: 'DE' };

export const REQUEST_KINDS: readonly RequestKind[] = [
  {
    name: 'noop',
    server: 'noop',
    what: 'GET /noop on a bare Nest app in its own process: no middleware, no telemetry, no database',
    expectedStatus: 200,
    request: () => ({ method: 'GET', path: '/noop', authenticated: false }),
  },
  {
    name: 'health',
    server: 'order-service',
    what: 'GET /health/live: no auth, not traced',
    expectedStatus: 200,
    request: () => ({ method: 'GET', path: '/health/live', authenticated: false }),
  },
  {
    name: 'refused',
    server: 'order-service',
    what: 'POST /orders refused with 400: auth, body, validation, problem+json',
    expectedStatus: 400,
    request: () => ({ method: 'POST', path: '/orders', body: { items: [] }, authenticated: true }),
  },
  {
    name: 'not-found',
    server: 'order-service',
    what: 'GET /orders/{id} answered 404: auth, one indexed select',
    expectedStatus: 404,
    request: () => ({ method: 'GET', path: `/orders/${randomUUID()}`, authenticated: true }),
  },
  {
    name: 'accepted',
    server: 'order-service',
    what: 'POST /orders accepted: auth, validation, the order and its outbox row in one insert, shared with concurrent POSTs',
    expectedStatus: 202,
    request: (n) => ({ method: 'POST', path: '/orders', body: orderBody(n), authenticated: true }),
  },
  {
    name: 'keyed',
    server: 'order-service',
    what: 'POST /orders accepted with a new Idempotency-Key: the key claimed with its answer, the order and its outbox row, one statement',
    expectedStatus: 202,
    request: (n) => ({
      method: 'POST',
      path: '/orders',
      body: orderBody(n),
      authenticated: true,
      headers: { 'idempotency-key': randomUUID() },
    }),
  },
];

function orderBody(n: number) {
  return {
    items: [
      { sku: `SKU-${n % 1000}`, quantity: 1 + (n % 3) },
      { sku: `SKU-${(n % 1000) + 1000}`, quantity: 1 },
    ],
    paymentToken: 'tok_visa',
    shippingAddress: ADDRESS,
  };
}

export function requestKindsNamed(names: string[]): RequestKind[] {
  return names.map((name) => {
    const kind = REQUEST_KINDS.find((k) => k.name === name);
    if (!kind) throw new Error(`unknown request kind "${name}"`);
    return kind;
  });
}
