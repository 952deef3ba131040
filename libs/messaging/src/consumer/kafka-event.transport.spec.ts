import type { EachBatchPayload, Kafka, KafkaMessage, OffsetsByTopicPartition } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { OutboxWriter } from '../outbox/outbox-writer';
import type { ProcessOutcome } from './event-processor';
import { KafkaEventTransport } from './kafka-event.transport';
import type { RunCoalescer } from './run-coalescer';

// How the transport commits offsets, with fake kafkajs payloads. Against a real broker (offsets
// reach the end of every partition with no later batch): libs/messaging/test/run-coalescing.int-spec.ts.

const applied = {
  submit: async (run: { messages: KafkaMessage[] }) => run.messages.map((): ProcessOutcome => 'processed'),
};

function transport() {
  return new KafkaEventTransport({
    kafka: {} as Kafka,
    dataSource: {} as DataSource,
    outbox: {} as OutboxWriter,
    group: 'test-group',
  });
}

/** A batch of one message whose payload's explicit commits (those given offsets) are recorded. */
function payloadOf(member: string, commits: string[], commit?: () => Promise<void>): EachBatchPayload {
  const offsets: OffsetsByTopicPartition = {
    topics: [{ topic: 't', partitions: [{ partition: 0, offset: '1' }] }],
  };
  return {
    batch: { topic: 't', partition: 0, highWatermark: '1', messages: [{ offset: '0' } as KafkaMessage] },
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    commitOffsetsIfNecessary: async (given?: OffsetsByTopicPartition) => {
      if (!given) return;
      commits.push(member);
      await commit?.();
    },
    uncommittedOffsets: () => offsets,
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload;
}

const consume = (t: KafkaEventTransport, payload: EachBatchPayload) =>
  t['consumeBatch'](applied as unknown as RunCoalescer, payload);

describe('KafkaEventTransport offset commits', () => {
  it("commits through the latest batch's payload: after a consumer restart kafkajs has a new member", async () => {
    const t = transport();
    const commits: string[] = [];
    await consume(t, payloadOf('first member', commits));
    await consume(t, payloadOf('member after restart', commits));

    await t['commitNow']('interval');

    expect(commits).toEqual(['member after restart']);
  });

  it('sends one interval commit at a time, and on stop commits again after the one in flight', async () => {
    const t = transport();
    const commits: string[] = [];
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    await consume(
      t,
      payloadOf('member', commits, () => held),
    );

    const first = t['commitNow']('interval');
    const second = t['commitNow']('interval');
    const stop = t['commitNow']('stop');
    expect(commits).toEqual(['member']);
    answer();
    await Promise.all([first, second, stop]);

    expect(commits).toEqual(['member', 'member']);
  });
});

/** A kafkajs stand-in that records the consumers made and lets a test crash one. */
function fakeKafka() {
  const consumers: Array<{ ran: boolean; crash: (restart: boolean) => void }> = [];
  const kafka = {
    consumer: () => {
      let onCrash: (event: { payload: { error: Error; restart: boolean } }) => void = () => undefined;
      const made = {
        ran: false,
        crash: (restart: boolean) =>
          onCrash({ payload: { error: new Error('Broker not connected'), restart } }),
      };
      consumers.push(made);
      return {
        events: { CRASH: 'consumer.crash' },
        on: (_event: string, listener: typeof onCrash) => (onCrash = listener),
        connect: async () => undefined,
        subscribe: async () => undefined,
        run: async () => void (made.ran = true),
        stop: async () => undefined,
        disconnect: async () => undefined,
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, consumers };
}

describe('KafkaEventTransport consumer crashes', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A transport whose first consumer is running. */
  async function running() {
    const { kafka, consumers } = fakeKafka();
    const t = new KafkaEventTransport({
      kafka,
      dataSource: {} as DataSource,
      outbox: {} as OutboxWriter,
      group: 'g',
    });
    await t['runConsumer'](['t'], applied as unknown as RunCoalescer);
    return { t, consumers };
  }

  it('starts a new consumer when kafkajs gives up on a crashed one', async () => {
    const { consumers } = await running();

    consumers[0].crash(false);
    await jest.advanceTimersByTimeAsync(1_000);

    expect(consumers.map((c) => c.ran)).toEqual([true, true]);
  });

  it('leaves a crash kafkajs restarts itself to kafkajs, and starts nothing once stopping', async () => {
    const { t, consumers } = await running();

    consumers[0].crash(true);
    await jest.advanceTimersByTimeAsync(60_000);
    await t.close();
    consumers[0].crash(false);
    await jest.advanceTimersByTimeAsync(60_000);

    expect(consumers).toHaveLength(1);
  });
});
