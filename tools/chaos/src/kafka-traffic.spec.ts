import { KafkaTraffic } from './kafka-traffic';

/** A request frame (size prefix, header v1) with `body` after the client id. */
function request(
  apiKey: number,
  correlationId: number,
  clientId: string,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(10);
  head.writeInt16BE(apiKey, 0);
  head.writeInt16BE(apiKey === 0 ? 7 : 0, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(Buffer.byteLength(clientId), 8);
  return sized(Buffer.concat([head, Buffer.from(clientId), body]));
}

/** A Produce v7 body: no transactional id, `acks`, timeout, one topic, one partition, one batch of `records`. */
function produceBody(acks: number, records: number): Buffer {
  const batch = Buffer.alloc(61);
  batch.writeInt32BE(61 - 12, 8);
  batch.writeInt32BE(records, 57);
  const topic = Buffer.from('t');
  const fields = Buffer.alloc(2 + 2 + 4 + 4 + 2);
  fields.writeInt16BE(-1, 0);
  fields.writeInt16BE(acks, 2);
  fields.writeInt32BE(30_000, 4);
  fields.writeInt32BE(1, 8);
  fields.writeInt16BE(topic.length, 12);
  const partition = Buffer.alloc(12);
  partition.writeInt32BE(1, 0);
  partition.writeInt32BE(0, 4);
  partition.writeInt32BE(batch.length, 8);
  return Buffer.concat([fields, topic, partition, batch]);
}

function response(correlationId: number): Buffer {
  const body = Buffer.alloc(12);
  body.writeInt32BE(correlationId, 0);
  return sized(body);
}

function sized(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

describe('KafkaTraffic (whose connection, which Produce requests are in flight)', () => {
  it('follows a Produce request from the proxy to the broker, its answer, and back to the producer', () => {
    const traffic = new KafkaTraffic();
    const tap = traffic.tap();
    expect(tap.onChunk(request(18, 1, 'payment-service'), true)).toBeUndefined(); // ApiVersions
    expect(tap.label).toBe('payment-service');

    const sent = tap.onChunk(request(0, 2, 'payment-service', produceBody(-1, 4)), true);
    const phase = () => traffic.producesInFlight('payment-service').map((p) => [p.records, p.phase]);
    expect(phase()).toEqual([[4, 'in-proxy']]);
    sent?.();
    expect(phase()).toEqual([[4, 'at-broker']]);
    const delivered = tap.onChunk(response(2), false);
    expect(phase()).toEqual([[4, 'answered']]);
    expect(traffic.producesInFlight('inventory-service')).toEqual([]);
    delivered?.();
    expect(phase()).toEqual([]);
  });

  it('ignores answers to other requests, Produce without acks, and closed connections', () => {
    const traffic = new KafkaTraffic();
    const tap = traffic.tap();
    tap.onChunk(request(0, 5, 'shipping-service', produceBody(0, 2)), true);
    expect(traffic.producesInFlight('shipping-service')).toEqual([]);
    tap.onChunk(request(0, 6, 'shipping-service', produceBody(1, 2)), true);
    expect(tap.onChunk(response(3), false)).toBeUndefined();
    expect(traffic.producesInFlight('shipping-service')).toHaveLength(1);
    tap.close();
    expect(traffic.producesInFlight('shipping-service')).toEqual([]);
  });
});
