import type { Response } from 'express';
import type { OrderSnapshot } from '@orderflow/contracts';
import { ORDER_STATUS_EVENT } from '../status/status-fanout';
import {
  clientPayload,
  currentPush,
  OrderStatusPush,
  pushesAfter,
  RoutedStatusPush,
} from '../status/order-status-push';

/** Beyond this much unsent output the client is not reading; the stream is ended. */
const MAX_BUFFERED_BYTES = 256 * 1024;

/**
 * One open SSE response. Sends strictly increasing versions only: a change that arrives in
 * sequence is written at once; a gap (a missed notification) is filled from the projection.
 */
export class OrderEventStream {
  private lastSent: number;
  private closed = false;
  private begin!: () => void;
  /** Changes that arrive before `start` wait here, behind the first output. */
  private queue = new Promise<void>((resolve) => (this.begin = resolve));

  constructor(
    private readonly res: Response,
    private readonly reload: () => Promise<OrderSnapshot | undefined>,
    lastEventId: number | undefined,
  ) {
    this.lastSent = lastEventId ?? 0;
  }

  /** First output: the current status, or with Last-Event-ID every change after it. */
  start(snapshot: OrderSnapshot, resuming: boolean): void {
    this.res.write('retry: 2000\n\n');
    if (resuming) this.writeAll(pushesAfter(snapshot, this.lastSent));
    else this.write(currentPush(snapshot));
    this.begin();
  }

  onChange(push: RoutedStatusPush): void {
    this.enqueue(async () => {
      if (push.version <= this.lastSent) return;
      if (push.version === this.lastSent + 1) return this.write(push);
      await this.catchUp();
    });
  }

  heartbeat(): void {
    this.enqueue(async () => {
      this.res.write(': keep-alive\n\n');
      await this.catchUp();
    });
  }

  close(): void {
    this.closed = true;
    this.begin();
  }

  private async catchUp(): Promise<void> {
    const snapshot = await this.reload();
    if (snapshot) this.writeAll(pushesAfter(snapshot, this.lastSent));
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue
      .then(() => (this.closed ? undefined : task()))
      .catch((error: unknown) => {
        // The projection is unreachable: keep the stream; the next heartbeat retries the catch-up.
        this.res.write(`: catch-up failed: ${error instanceof Error ? error.name : 'error'}\n\n`);
      });
  }

  private writeAll(pushes: OrderStatusPush[]): void {
    for (const push of pushes) this.write(push);
  }

  private write(push: OrderStatusPush): void {
    if (this.closed || push.version <= this.lastSent) return;
    this.lastSent = push.version;
    this.res.write(
      `id: ${push.version}\nevent: ${ORDER_STATUS_EVENT}\ndata: ${JSON.stringify(clientPayload(push))}\n\n`,
    );
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.res.end();
  }
}
