import { Coalescer } from '@orderflow/service-defaults';
import type { ConsumerRun, EventProcessor, ProcessOutcome } from './event-processor';

/**
 * Applies the runs that kafkajs hands to its partition workers at the same moment (the batches of
 * one fetch) in one transaction instead of one each: a few statements and one commit per fetch
 * rather than per partition, and no two runs of this process waiting for each other's locks.
 *
 * Runs submitted in the same turn of the event loop go together, up to `maxEvents`; one combined
 * transaction runs at a time, and what arrives meanwhile waits for the next. If the runs cannot
 * go together (a malformed message, a failed transaction), each is applied on its own through
 * processChunk, with its retries and dead letters, as without the coalescer. A database failure
 * of the combined transaction rejects them all: kafkajs then seeks back and redelivers.
 * See docs/adr/0045-*.
 */
export class RunCoalescer {
  private readonly coalescer: Coalescer<ConsumerRun, ProcessOutcome[]>;

  constructor(processor: EventProcessor, maxEvents: number) {
    this.coalescer = new Coalescer({
      name: 'consumer-runs',
      together: (runs) => processor.processTogether(runs),
      alone: (run) => processor.processChunk(run.topic, run.partition, run.messages),
      maxSize: maxEvents,
      size: (run) => run.messages.length,
    });
  }

  /** The run's outcomes in message order (fewer when shutdown interrupted it), as processChunk. */
  submit(run: ConsumerRun): Promise<ProcessOutcome[]> {
    return this.coalescer.submit(run);
  }
}
