export * from './kafka/kafka-client';
export * from './kafka/kafka.module';
