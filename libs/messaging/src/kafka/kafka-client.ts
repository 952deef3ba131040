import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { rootLogger } from '@orderflow/service-defaults';
import './request-queue-fix';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through the service's pino logger instead of its own console format. */
function pinoLogCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, ...fields } = log;
    rootLogger()[LEVELS[level] ?? 'info']({ kafka: fields }, `kafkajs: ${message}`);
  };
}

export function createKafka(clientId: string, brokers: string[]): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator,
    retry: { initialRetryTime: 100, retries: 8 },
    connectionTimeout: 3_000,
  });
}
