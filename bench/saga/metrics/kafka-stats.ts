import { Admin, Kafka, logLevel, SeekEntry } from 'kafkajs';
import { KAFKA_BROKERS } from '@orderflow/testing';

/** Per-partition offsets of some topics, by full topic name. */
export type TopicOffsets = Record<string, SeekEntry[]>;

/** End offsets of the run's topics (messages written) and the lag of its consumer groups. */
export class KafkaCounter {
  private constructor(
    private readonly admin: Admin,
    private readonly topicPrefix: string,
    /** The run's consumer groups and how many of its own instances each has. */
    private readonly instances: Record<string, number>,
  ) {}

  static async connect(topicPrefix: string, instances: Record<string, number>): Promise<KafkaCounter> {
    const kafka = new Kafka({ clientId: 'bench-stats', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    return new KafkaCounter(admin, topicPrefix, instances);
  }

  /** End offset (high watermark) of each partition of this run's topics, by full topic name. */
  async partitionEnds(): Promise<TopicOffsets> {
    const topics = (await this.admin.listTopics()).filter((topic) => topic.startsWith(this.topicPrefix));
    const ends: TopicOffsets = {};
    for (const topic of topics)
      ends[topic] = (await this.admin.fetchTopicOffsets(topic)).map((p) => ({
        partition: p.partition,
        offset: p.high,
      }));
    return ends;
  }

  /** Messages written per topic up to `ends` (summed end offsets), by name without the run's prefix. */
  totals(ends: TopicOffsets): Record<string, number> {
    return Object.fromEntries(
      Object.entries(ends).map(([topic, partitions]) => [
        topic.slice(this.topicPrefix.length),
        partitions.reduce((sum, p) => sum + Number(p.offset), 0),
      ]),
    );
  }

  /** Committed-offset lag summed over each group's topics (a group that has not committed yet counts from 0). */
  async lag(): Promise<Record<string, number>> {
    const partitionEnds = await this.partitionEnds();
    const topics = Object.keys(partitionEnds);
    const ends = new Map(
      Object.entries(partitionEnds).map(([topic, partitions]) => [
        topic,
        new Map(partitions.map((p) => [p.partition, Number(p.offset)])),
      ]),
    );
    const lag: Record<string, number> = {};
    for (const group of Object.keys(this.instances)) {
      const committed = await this.admin.fetchOffsets({ groupId: group, topics });
      lag[group] = 0;
      for (const { topic, partitions } of committed) {
        // Topics the group does not read have no committed offsets (-1) and no lag of its own.
        if (partitions.every((p) => Number(p.offset) < 0)) continue;
        for (const p of partitions)
          lag[group] += (ends.get(topic)?.get(p.partition) ?? 0) - Math.max(0, Number(p.offset));
      }
    }
    return lag;
  }

  /**
   * Members of each consumer group beyond this run's own instances. The services' groups are named
   * after the service, not the run, so another stack running at the same time joins the same
   * groups: foreign members mean shared groups (rebalances, and partitions assigned to members
   * that do not subscribe to them), and the step's latencies are not this system's alone.
   */
  async foreignMembers(): Promise<Record<string, number>> {
    const { groups } = await this.admin.describeGroups(Object.keys(this.instances));
    return Object.fromEntries(
      groups
        .filter((group) => group.state !== 'Dead')
        .map((group) => [
          group.groupId,
          Math.max(0, group.members.length - (this.instances[group.groupId] ?? 1)),
        ]),
    );
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }
}
