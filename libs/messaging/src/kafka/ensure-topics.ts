import { Kafka } from 'kafkajs';

/** Creates the topics that do not exist yet (broker auto-creation is off). Idempotent. */
export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions = 6): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}
