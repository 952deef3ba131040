import { randomUUID } from 'node:crypto';
import { KAFKA_BROKERS, TcpProxy, waitFor } from '@orderflow/testing';
import { MessagingTestBed, withTestBed } from './support/test-bed';

// The service reaches the shared broker's bootstrap address only through a proxy that refuses
// connections until the test restores it: Kafka is unreachable while the service starts.
describe('a service started while Kafka is unreachable (fixture service process, real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  let proxy: TcpProxy;
  withTestBed((b) => (bed = b));

  beforeEach(async () => {
    const [host, port] = KAFKA_BROKERS[0].split(':');
    proxy = new TcpProxy('kafka-bootstrap', 0, Number(port), host);
    await proxy.start();
    proxy.cut();
  });
  afterEach(() => proxy.close());

  it('serves HTTP, reports the consumer not ready, and consumes once Kafka is reachable', async () => {
    const service = await bed.start('early', { kafkaBrokers: proxy.address }).live();
    const orderIds = [randomUUID(), randomUUID()];
    await service.produce({ orderIds, perOrder: 3 });

    // Long enough for kafkajs to give up its first connection attempts (they exited the process).
    await waitFor(
      'the consumer start to fail at least once',
      async () => (await service.readiness()).checks['kafka-consumer']?.error?.includes('failed') ?? false,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const notReady = await service.readiness();
    expect(notReady.status).toBe(503);
    expect(notReady.checks['kafka-consumer'].status).toBe('down');
    expect(service.hasExited).toBe(false);

    proxy.restore();
    await waitFor('readiness', async () => (await service.readiness()).status === 200, {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    expect(await bed.waitForEffects(6, 60_000)).toEqual({ total: 6, distinctEvents: 6, violations: 0 });
    expect(service.hasExited).toBe(false);
  }, 240_000);
});
