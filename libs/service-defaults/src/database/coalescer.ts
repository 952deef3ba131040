import type { Histogram } from '@opentelemetry/api';
import { meter } from '../metrics/metrics';

export interface CoalescerOptions<I, R> {
  /** Names the writer in the `orderflow.coalesced_write.items` metric. */
  name: string;
  /**
   * Applies several items in one go (one transaction) and returns their results in order, or
   * undefined when they cannot go together; then each is applied alone. Throwing rejects them all.
   */
  together(items: I[]): Promise<R[] | undefined>;
  /** Applies one item on its own. */
  alone(item: I): Promise<R>;
  /** Most total size to apply together; the oldest item goes even when it is larger. */
  maxSize: number;
  /** An item's size; 1 when not given. */
  size?(item: I): number;
}

type Pending<I, R> = { item: I; resolve: (result: R) => void; reject: (error: unknown) => void };

/**
 * Writes what is submitted in the same turn of the event loop, and what arrives while such a
 * combined write is in flight, in one go instead of one each: one statement and one commit for
 * many. It adds no wait when there is nothing to share a write with: a lone item goes alone at
 * once, and lone writes are not awaited before the next. The busier the process, the more each
 * write carries, so the cost per item falls as the load rises. One combined write runs at a time.
 */
export class Coalescer<I, R> {
  private pending: Pending<I, R>[] = [];
  private scheduled = false;
  private applying = false;

  constructor(private readonly options: CoalescerOptions<I, R>) {}

  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.applying || this.pending.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: what else arrives in this turn goes along.
    setImmediate(() => {
      this.scheduled = false;
      void this.applyPending();
    });
  }

  private async applyPending(): Promise<void> {
    this.applying = true;
    const taken = this.take();
    try {
      const together = taken.length > 1 ? await this.options.together(taken.map((p) => p.item)) : undefined;
      if (together) {
        recordWrite(this.options.name, taken.length);
        taken.forEach((pending, i) => pending.resolve(together[i]));
      }
      // Each on its own, not awaited here: a slow one (retrying, say) must not hold up the next.
      else for (const pending of taken) this.applyAlone(pending);
    } catch (error) {
      for (const pending of taken) pending.reject(error);
    } finally {
      this.applying = false;
      this.schedule();
    }
  }

  /** The oldest pending items, up to `maxSize` in all (at least one). */
  private take(): Pending<I, R>[] {
    const size = this.options.size ?? (() => 1);
    let total = 0;
    let count = 0;
    while (count < this.pending.length) {
      const next = size(this.pending[count].item);
      if (count > 0 && total + next > this.options.maxSize) break;
      total += next;
      count++;
    }
    return this.pending.splice(0, count);
  }

  private applyAlone({ item, resolve, reject }: Pending<I, R>): void {
    this.options.alone(item).then((result) => {
      recordWrite(this.options.name, 1);
      resolve(result);
    }, reject);
  }
}

let writeItems: Histogram | undefined;

/** Created on first use, once the app's MeterProvider exists. */
function recordWrite(writer: string, items: number): void {
  writeItems ??= meter().createHistogram('orderflow.coalesced_write.items', {
    unit: '{item}',
    description: 'Items (orders, consumer runs) per successful write of a coalescer, by writer',
    advice: { explicitBucketBoundaries: [1, 2, 3, 5, 10, 20, 50, 100, 200, 500] },
  });
  writeItems.record(items, { writer });
}
