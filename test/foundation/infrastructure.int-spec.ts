import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { databaseUrl, KAFKA_BROKERS, uniqueName, waitFor } from '@orderflow/testing';
import { SERVICE as gateway } from '../../apps/gateway/src/app.module';
import { SERVICE as inventory } from '../../apps/inventory-service/src/app.module';
import { SERVICE as notification } from '../../apps/notification-service/src/app.module';
import { SERVICE as order } from '../../apps/order-service/src/app.module';
import { SERVICE as payment } from '../../apps/payment-service/src/app.module';
import { SERVICE as shipping } from '../../apps/shipping-service/src/app.module';

const services = [order, inventory, payment, shipping, notification, gateway];

describe('local infrastructure', () => {
  it('round-trips keyed messages through the real Kafka broker, in order per key', async () => {
    const kafka = new Kafka({
      clientId: uniqueName('foundation'),
      brokers: KAFKA_BROKERS,
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName('foundation-smoke');
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true });
    const consumer = kafka.consumer({ groupId: uniqueName('foundation-group') });
    await admin.connect();
    await producer.connect();
    await consumer.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      const sent = Array.from({ length: 30 }, (_, i) => ({ key: `order-${i % 5}`, value: `event-${i}` }));
      await producer.send({ topic, acks: -1, messages: sent });

      const received: Array<{ key: string; value: string }> = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: String(message.key), value: String(message.value) });
        },
      });
      await waitFor('all 30 messages', () => received.length >= sent.length, { timeoutMs: 30_000 });

      expect(received).toHaveLength(sent.length);
      for (const key of new Set(sent.map((m) => m.key))) {
        const perKey = (list: typeof sent) => list.filter((m) => m.key === key).map((m) => m.value);
        expect(perKey(received)).toEqual(perKey(sent));
      }
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it.each(services.map((s) => [s.name, s.database]))(
    'writes to and reads from the %s database (%s)',
    async (_name, database) => {
      const client = new Client({ connectionString: databaseUrl(database) });
      await client.connect();
      try {
        const marker = uniqueName('probe');
        await client.query('create temporary table infra_probe (marker text primary key)');
        await client.query('insert into infra_probe (marker) values ($1)', [marker]);
        const { rows } = await client.query('select marker from infra_probe');
        expect(rows).toEqual([{ marker }]);
        const { rows: db } = await client.query('select current_database() as name');
        expect(db[0].name).toBe(database);
      } finally {
        await client.end();
      }
    },
  );
});
