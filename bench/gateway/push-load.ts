import { FakeOrder, OrderStatusFeed, SUCCESS_PATH } from '@orderflow/testing';
import { now, round, sleep } from '../saga/stats';
import { deliveryKey, SocketFleet } from './socket-fleet';

export interface PushPhase {
  published: number;
  publishedPerSecond: number;
  /** `socket|order|version` keys every socket of the event's customer should receive once. */
  expected: Set<string>;
}

/**
 * Publishes `OrderStatusChanged` at a fixed rate: orders of random connected customers, each
 * taken through the success path one status at a time (round robin over the open orders).
 */
export class PushLoad {
  private readonly open: { order: FakeOrder; customer: number; step: number }[] = [];

  constructor(
    private readonly feed: OrderStatusFeed,
    private readonly fleet: SocketFleet,
    private readonly rate: number,
  ) {}

  async run(seconds: number): Promise<PushPhase> {
    const rate = this.rate;
    const expected = new Set<string>();
    const started = now();
    let published = 0;
    while (now() - started < seconds * 1000) {
      const due = Math.floor(((now() - started) / 1000) * rate) - published;
      if (due > 0) {
        // Built right before the send: occurredAt is the moment the status is committed upstream.
        const events = Array.from({ length: due }, () => this.nextEvent(expected));
        await this.feed.publish(...events);
        published += due;
      }
      await sleep(20);
    }
    const elapsed = (now() - started) / 1000;
    return { published, publishedPerSecond: round(published / elapsed, 0), expected };
  }

  private nextEvent(expected: Set<string>) {
    // About a quarter second's worth of orders in flight: an order's statuses are spread out.
    const inFlight = Math.max(1, Math.ceil(this.rate / 4));
    const entry = this.open.length >= inFlight ? this.open.shift()! : this.newOrder();
    const event = entry.order.next(SUCCESS_PATH[entry.step]);
    for (const socket of this.fleet.socketsOf(entry.customer))
      expected.add(deliveryKey(socket, event.orderId, event.version));
    entry.step += 1;
    if (entry.step < SUCCESS_PATH.length) this.open.push(entry);
    return event;
  }

  private newOrder() {
    const customer = Math.floor(Math.random() * this.fleet.customers);
    return { order: new FakeOrder(this.fleet.customerId(customer)), customer, step: 0 };
  }
}
