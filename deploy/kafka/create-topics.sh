#!/bin/sh
# Creates the compose stack's Kafka topics (idempotent). KAFKA_TOPICS is a comma-separated list;
# whitespace around the names is ignored.
set -eu
: "${KAFKA_BOOTSTRAP_SERVERS:?}" "${KAFKA_TOPICS:?}"
partitions="${KAFKA_TOPIC_PARTITIONS:-6}"
replication="${KAFKA_TOPIC_REPLICATION_FACTOR:-1}"

for topic in $(echo "$KAFKA_TOPICS" | tr ',' ' '); do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$replication"
done
echo "topics ready: $(echo "$KAFKA_TOPICS" | tr -d ' \n')"
