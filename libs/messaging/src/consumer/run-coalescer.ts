import type { ConsumerRun, EventProcessor, ProcessOutcome } from './event-processor';

type Pending = {
  run: ConsumerRun;
  resolve: (outcomes: ProcessOutcome[]) => void;
  reject: (error: unknown) => void;
};

/**
 * Applies the runs that kafkajs hands to its partition workers at the same moment (the batches of
 * one fetch) in one transaction instead of one each: a few statements and one commit per fetch
 * rather than per partition, and no two runs of this process waiting for each other's locks.
 *
 * Runs submitted in the same turn of the event loop go together, up to `maxEvents`; one combined
 * transaction runs at a time, and what arrives meanwhile waits for the next. If the runs cannot
 * go together (a malformed message, a failed transaction), each is applied on its own through
 * processChunk, with its retries and dead letters, as without the coalescer. See docs/adr/0045-*.
 */
export class RunCoalescer {
  private pending: Pending[] = [];
  private scheduled = false;
  private applying = false;

  constructor(
    private readonly processor: EventProcessor,
    private readonly maxEvents: number,
  ) {}

  /** The run's outcomes in message order (fewer when shutdown interrupted it), as processChunk. */
  submit(run: ConsumerRun): Promise<ProcessOutcome[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ run, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.applying || this.pending.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: the other workers of the fetch submit within this turn.
    setImmediate(() => {
      this.scheduled = false;
      void this.applyPending();
    });
  }

  private async applyPending(): Promise<void> {
    this.applying = true;
    const taken = this.take();
    try {
      const together =
        taken.length > 1 ? await this.processor.processTogether(taken.map((p) => p.run)) : undefined;
      if (together) taken.forEach((pending, i) => pending.resolve(together[i]));
      // Each on its own, not awaited here: a run retrying with backoff must not hold up the next fetch's runs.
      else for (const pending of taken) this.applyAlone(pending);
    } catch (error) {
      for (const pending of taken) pending.reject(error);
    } finally {
      this.applying = false;
      this.schedule();
    }
  }

  /** The oldest pending runs, up to `maxEvents` in all (at least one run). */
  private take(): Pending[] {
    let events = 0;
    let count = 0;
    while (count < this.pending.length) {
      const size = this.pending[count].run.messages.length;
      if (count > 0 && events + size > this.maxEvents) break;
      events += size;
      count++;
    }
    return this.pending.splice(0, count);
  }

  private applyAlone({ run, resolve, reject }: Pending): void {
    this.processor.processChunk(run.topic, run.partition, run.messages).then(resolve, reject);
  }
}
