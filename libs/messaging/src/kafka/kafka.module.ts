import { Global, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import {
  CommonConfig,
  HealthRegistry,
  SERVICE_CONFIG,
  SERVICE_IDENTITY,
  ServiceIdentity,
} from '@orderflow/service-defaults';
import { createKafka } from './kafka-client';

/** Admin connection used for readiness and topic provisioning. */
@Injectable()
export class KafkaAdmin implements OnModuleInit, OnApplicationShutdown {
  readonly admin: Admin;
  private readonly logger = new Logger('kafka');

  constructor(
    readonly kafka: Kafka,
    private readonly health: HealthRegistry,
  ) {
    this.admin = kafka.admin();
  }

  async onModuleInit() {
    this.health.register('kafka', async () => {
      await this.admin.describeCluster();
    });
    // Start even when Kafka is down: readiness reports it, and kafkajs reconnects on first use.
    await this.admin
      .connect()
      .catch((error: Error) => this.logger.warn(`kafka not reachable yet: ${error.message}`));
  }

  async onApplicationShutdown() {
    await this.admin.disconnect();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: Kafka,
      inject: [SERVICE_CONFIG, SERVICE_IDENTITY],
      useFactory: (config: CommonConfig, identity: ServiceIdentity) =>
        createKafka(identity.name, config.KAFKA_BROKERS),
    },
    KafkaAdmin,
  ],
  exports: [Kafka, KafkaAdmin],
})
export class KafkaModule {}
