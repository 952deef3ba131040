import { Kafka } from 'kafkajs';

/**
 * Creates the topics that do not exist yet (broker auto-creation is off) and waits until every
 * partition has a leader, so that producers and consumers can use them at once. Idempotent.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions = 6): Promise<void> {
  const wanted = [...new Set(topics)];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin
        .createTopics({ topics: missing.map((topic) => ({ topic, numPartitions })), waitForLeaders: true })
        .catch((error: Error & { type?: string }) => {
          // Another replica created it first; or a broker that just started has created it but
          // does not serve its partitions yet (kafkajs' leader wait gives up): the wait below.
          if (error.type !== 'TOPIC_ALREADY_EXISTS' && error.type !== 'UNKNOWN_TOPIC_OR_PARTITION')
            throw error;
        });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: wanted });
        if (metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          return;
      } catch (error) {
        if (attempt >= 50) throw error;
      }
      if (attempt >= 50)
        throw new Error(`topics without leaders after ${attempt} checks: ${wanted.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
