import { FrameSplitter, produceRequest, requestHeader, responseCorrelationId } from './kafka-frames';

type Encoded = { buffer: Buffer };
type Request = { apiKey: number; apiVersion: number; encode: () => Promise<Encoded> };
// kafkajs' own encoders, so the parser is checked against the bytes a producer really sends.
const encodeRequest = jest.requireActual<
  (args: { correlationId: number; clientId: string; request: Request }) => Promise<Encoded>
>('kafkajs/src/protocol/request');
const produceV7 = jest.requireActual<(args: Record<string, unknown>) => Request>(
  'kafkajs/src/protocol/requests/produce/v7/request',
);
const apiVersionsV0 = jest.requireActual<() => Request>(
  'kafkajs/src/protocol/requests/apiVersions/v0/request',
);

const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `{"n":${i}}`, headers: { h: 'v' } }));

async function produceFrame(correlationId: number, acks = -1): Promise<Buffer> {
  const request = produceV7({
    acks,
    timeout: 30_000,
    topicData: [
      {
        topic: 'run.orders',
        partitions: [
          { partition: 0, firstSequence: 0, messages: messages(2) },
          { partition: 3, firstSequence: 0, messages: messages(3) },
        ],
      },
      { topic: 'run.payments', partitions: [{ partition: 1, firstSequence: 0, messages: messages(1) }] },
    ],
  });
  return (await encodeRequest({ correlationId, clientId: 'inventory-service', request })).buffer;
}

describe('Kafka frames (what the proxy reads of the traffic)', () => {
  it('splits a byte stream into frames whatever the chunk boundaries', async () => {
    const first = await produceFrame(7);
    const second = (await encodeRequest({ correlationId: 8, clientId: 'x', request: apiVersionsV0() }))
      .buffer;
    const stream = Buffer.concat([first, second]);
    for (const cut of [1, 3, 5, 64, stream.length]) {
      const splitter = new FrameSplitter();
      const frames: Buffer[] = [];
      for (let at = 0; at < stream.length; at += cut)
        frames.push(...splitter.push(stream.subarray(at, at + cut)));
      expect(frames.map((f) => requestHeader(f)?.correlationId)).toEqual([7, 8]);
      expect(frames[0]).toEqual(first.subarray(4));
    }
  });

  it("reads the request header and a Produce request's acks and records", async () => {
    const [frame] = new FrameSplitter().push(await produceFrame(42));
    const header = requestHeader(frame)!;
    expect(header).toEqual({ apiKey: 0, apiVersion: 7, correlationId: 42, clientId: 'inventory-service' });
    expect(produceRequest(frame, header)).toEqual({ acks: -1, records: 6 });
    const [noAcks] = new FrameSplitter().push(await produceFrame(43, 0));
    expect(produceRequest(noAcks, requestHeader(noAcks)!)).toEqual({ acks: 0, records: 6 });
  });

  it('reads nothing more of other requests, and no records of a frame cut short', async () => {
    const [versions] = new FrameSplitter().push(
      (await encodeRequest({ correlationId: 1, clientId: 'gateway', request: apiVersionsV0() })).buffer,
    );
    expect(requestHeader(versions)).toMatchObject({ apiKey: 18, clientId: 'gateway' });
    expect(produceRequest(versions, requestHeader(versions)!)).toBeUndefined();
    const [frame] = new FrameSplitter().push(await produceFrame(5));
    const cut = frame.subarray(0, frame.length - 20);
    expect(produceRequest(cut, requestHeader(cut)!)).toEqual({ acks: -1, records: undefined });
    expect(requestHeader(frame.subarray(0, 12))).toBeUndefined();
  });

  it("takes a response's correlation id", () => {
    const response = Buffer.alloc(8);
    response.writeInt32BE(99, 0);
    expect(responseCorrelationId(response)).toBe(99);
    expect(responseCorrelationId(Buffer.alloc(2))).toBeUndefined();
  });
});
