import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createClient, RedisClientType } from 'redis';
import { HealthRegistry } from '@orderflow/service-defaults';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

/** The Redis connection of the Socket.IO adapter, when `REDIS_URL` is set; part of readiness. */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('redis');
  readonly client: RedisClientType | undefined;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, health: HealthRegistry) {
    if (!config.REDIS_URL) return;
    const client: RedisClientType = createClient({
      url: config.REDIS_URL,
      socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5_000) },
    });
    client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    this.client = client;
    health.register('redis', async () => {
      await client.ping();
    });
  }

  async connect(): Promise<RedisClientType | undefined> {
    if (this.client && !this.client.isOpen) await this.client.connect();
    return this.client;
  }

  async onApplicationShutdown() {
    if (this.client?.isOpen) await this.client.quit();
  }
}
