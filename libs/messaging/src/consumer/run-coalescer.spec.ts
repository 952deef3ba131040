import type { KafkaMessage } from 'kafkajs';
import type { ConsumerRun, EventProcessor, ProcessOutcome } from './event-processor';
import { transactionOrder } from './event-processor';
import { RunCoalescer } from './run-coalescer';

// Which runs go into one transaction, with a fake processor; the same against real Kafka and
// Postgres: libs/messaging/test/run-coalescing.int-spec.ts.

const messages = (count: number, timestamp = 0): KafkaMessage[] =>
  Array.from(
    { length: count },
    (_, i) => ({ offset: String(i), timestamp: String(timestamp) }) as KafkaMessage,
  );
const run = (topic: string, partition: number, count = 1, timestamp = 0): ConsumerRun => ({
  topic,
  partition,
  messages: messages(count, timestamp),
});
const label = (r: ConsumerRun) => `${r.topic}/${r.partition}`;

/** A processor that records each transaction's runs; `together` fails when `failTogether` is set. */
function fakeProcessor(options: { failTogether?: boolean; holdTogether?: Promise<void> } = {}) {
  const together: string[][] = [];
  const alone: string[] = [];
  const processor = {
    processTogether: async (runs: ConsumerRun[]): Promise<ProcessOutcome[][] | undefined> => {
      together.push(runs.map(label));
      await options.holdTogether;
      if (options.failTogether) return undefined;
      return runs.map((r) => r.messages.map(() => 'processed' as const));
    },
    processChunk: async (
      topic: string,
      partition: number,
      msgs: KafkaMessage[],
    ): Promise<ProcessOutcome[]> => {
      alone.push(`${topic}/${partition}`);
      return msgs.map(() => 'duplicate' as const);
    },
  } as unknown as EventProcessor;
  return { processor, together, alone };
}

describe('RunCoalescer', () => {
  it('applies the runs submitted in one turn in one transaction and hands each its own outcomes', async () => {
    const fake = fakeProcessor();
    const coalescer = new RunCoalescer(fake.processor, 500);

    const outcomes = await Promise.all(
      [run('a', 0, 2), run('a', 1, 1), run('b', 0, 3)].map((r) => coalescer.submit(r)),
    );

    expect(fake.together).toEqual([['a/0', 'a/1', 'b/0']]);
    expect(outcomes.map((o) => o.length)).toEqual([2, 1, 3]);
  });

  it('applies a lone run on its own, as without the coalescer', async () => {
    const fake = fakeProcessor();
    const coalescer = new RunCoalescer(fake.processor, 500);

    expect(await coalescer.submit(run('a', 0, 2))).toEqual(['duplicate', 'duplicate']);
    expect(fake.together).toEqual([]);
    expect(fake.alone).toEqual(['a/0']);
  });

  it('applies each run on its own when they could not go together', async () => {
    const fake = fakeProcessor({ failTogether: true });
    const coalescer = new RunCoalescer(fake.processor, 500);

    const outcomes = await Promise.all([run('a', 0), run('a', 1)].map((r) => coalescer.submit(r)));

    expect(fake.alone).toEqual(['a/0', 'a/1']);
    expect(outcomes).toEqual([['duplicate'], ['duplicate']]);
  });

  it('puts at most maxEvents in one transaction (but always one run), the rest in the next', async () => {
    const fake = fakeProcessor();
    const coalescer = new RunCoalescer(fake.processor, 5);

    await Promise.all(
      [run('a', 0, 3), run('a', 1, 2), run('a', 2, 4), run('a', 3, 9), run('a', 4, 1)].map((r) =>
        coalescer.submit(r),
      ),
    );

    expect(fake.together).toEqual([['a/0', 'a/1']]);
    // Oldest first, never out of turn: a/4 would fit beside a/2 but waits for a/3.
    expect(fake.alone).toEqual(['a/2', 'a/3', 'a/4']);
  });

  it('holds runs that arrive during a transaction for the next one', async () => {
    let release!: () => void;
    const fake = fakeProcessor({ holdTogether: new Promise<void>((resolve) => (release = resolve)) });
    const coalescer = new RunCoalescer(fake.processor, 500);

    const first = Promise.all([run('a', 0), run('a', 1)].map((r) => coalescer.submit(r)));
    await new Promise((resolve) => setImmediate(resolve));
    const later = Promise.all([run('a', 2), run('a', 3)].map((r) => coalescer.submit(r)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.together).toEqual([['a/0', 'a/1']]);
    release();
    await Promise.all([first, later]);

    expect(fake.together).toEqual([
      ['a/0', 'a/1'],
      ['a/2', 'a/3'],
    ]);
  });
});

describe('transactionOrder', () => {
  it('keeps runs of a topic together, topics by their oldest first message, runs in submit order', () => {
    const runs = [
      run('payment', 0, 1, 50),
      run('inventory', 0, 1, 40),
      run('payment', 1, 1, 10),
      run('inventory', 1, 1, 30),
    ];

    expect(transactionOrder(runs).map((i) => label(runs[i]))).toEqual([
      'payment/0',
      'payment/1',
      'inventory/0',
      'inventory/1',
    ]);
  });
});
