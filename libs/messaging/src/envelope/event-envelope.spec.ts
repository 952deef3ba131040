import { decodeEnvelope, envelopeHeaders, MalformedEventError } from './event-envelope';

const envelope = {
  eventId: '2f1c6c1e-8a4b-4a4c-9d2e-0b7f3c2a1d10',
  type: 'OrderCreated',
  version: 1,
  occurredAt: '2026-01-01T00:00:00.000Z',
  producer: 'order-service',
  correlationId: 'order-1',
  causationId: null,
  trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
};

const message = (headers: Record<string, string>, value: string | null = '{"orderId":"order-1"}') => ({
  key: Buffer.from('order-1'),
  value: value === null ? null : Buffer.from(value),
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
});

describe('event envelope', () => {
  it('round-trips through Kafka headers', () => {
    const decoded = decodeEnvelope(message(envelopeHeaders(envelope)));
    expect(decoded).toEqual({ ...envelope, key: 'order-1', payload: { orderId: 'order-1' } });
  });

  it('carries the causation id only when there is one', () => {
    expect(envelopeHeaders(envelope)).not.toHaveProperty('causation-id');
    const caused = envelopeHeaders({ ...envelope, causationId: 'c0ffee00-0000-4000-8000-000000000000' });
    expect(decodeEnvelope(message(caused)).causationId).toBe('c0ffee00-0000-4000-8000-000000000000');
  });

  it.each([
    [
      'a missing header',
      { ...envelopeHeaders(envelope), 'event-type': '' },
      undefined,
      /missing header event-type/,
    ],
    [
      'an event id that is not a UUID',
      { ...envelopeHeaders(envelope), 'event-id': 'nope' },
      undefined,
      /not a UUID/,
    ],
    [
      'a non-numeric version',
      { ...envelopeHeaders(envelope), 'event-version': 'v1' },
      undefined,
      /positive integer/,
    ],
    ['a value that is not JSON', envelopeHeaders(envelope), '{oops', /not JSON/],
    ['no value', envelopeHeaders(envelope), null, /no value/],
  ])('rejects %s as malformed', (_case, headers, value, error) => {
    const decode = () => decodeEnvelope(message(headers, value));
    expect(decode).toThrow(MalformedEventError);
    expect(decode).toThrow(error);
  });
});
