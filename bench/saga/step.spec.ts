import type { Customer } from './customers';
import type { Arrival } from './load-generator';
import { bySecond, judge, postErrors } from './step';

const customer = { id: 'c-1' } as unknown as Customer;
const arrival = (fields: Partial<Arrival>): Arrival => ({
  kind: 'success',
  customer,
  items: [{ sku: 'SKU-1', quantity: 1 }],
  keyed: false,
  scheduledAt: 0,
  ...fields,
});

describe('a step’s POST errors', () => {
  const arrivals = [
    arrival({ status: 202, orderId: 'o-1' }),
    arrival({ status: 503, error: 'HTTP 503: {"type":"urn:orderflow:problem:overloaded"}' }),
    arrival({ kind: 'declined', error: 'socket hang up' }),
    arrival({ status: 202, orderId: 'o-2' }),
  ];

  it('counts every POST that created no order, and says why', () => {
    const errors = postErrors(arrivals);
    expect(errors.http).toBe(2);
    expect(errors.samples).toEqual([
      'POST /orders (success) failed: HTTP 503: {"type":"urn:orderflow:problem:overloaded"}',
      'POST /orders (declined) failed: socket hang up',
    ]);
  });

  it('keeps at most ten samples', () => {
    const failed = Array.from({ length: 25 }, () => arrival({ error: 'socket hang up' }));
    const errors = postErrors(failed);
    expect(errors.http).toBe(25);
    expect(errors.samples).toHaveLength(10);
  });

  it('makes the step unsustainable, however well the rest went', () => {
    const step = {
      rate: 20,
      seconds: 5,
      errors: postErrors(arrivals),
      orders: { offered: 100, accepted: 98, acceptedKeyed: 0, completedInStep: 98, completedPerSecond: 19.6 },
      backlog: { inFlightAtStepEnd: 0, maxOutbox: 0, maxConsumerLag: 0, drainMs: 0 },
    };
    expect(judge(step)).toEqual(['2 POST errors']);
    expect(judge({ ...step, errors: postErrors([arrival({ orderId: 'o-1' })]) })).toEqual([]);
  });
});

describe('a step’s latency per second', () => {
  it('groups the orders by the second they were due in, in order, and leaves out seconds with none', () => {
    const start = 10_000;
    const latency = (dueAfterMs: number, ms: number) => ({
      kind: 'success',
      scheduledAt: start + dueAfterMs,
      ms,
    });
    const seconds = bySecond(
      [latency(2_500, 40), latency(0, 10), latency(999, 30), latency(2_000, 20)],
      start,
    );
    expect(seconds.map(({ second, count, p50, max }) => ({ second, count, p50, max }))).toEqual([
      { second: 0, count: 2, p50: 10, max: 30 },
      { second: 2, count: 2, p50: 20, max: 40 },
    ]);
  });
});
