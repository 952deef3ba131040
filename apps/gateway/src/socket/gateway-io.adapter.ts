import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { RedisClientType } from 'redis';
import type { Server, ServerOptions } from 'socket.io';

export interface GatewayIoOptions {
  /** Redis client for the streams adapter; in-memory adapter (one instance) when absent. */
  redis: RedisClientType | undefined;
  /** How long a transport may stay open without joining a namespace (i.e. authenticating). */
  connectTimeoutMs: number;
  /** Redis stream of this deployment; session keys are prefixed with it too. */
  streamName: string;
}

/** Client messages are tiny (`order.subscribe`); anything bigger is refused by the transport. */
export const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;

/**
 * Socket.IO server settings shared by every gateway: bounded messages, idle handshakes closed,
 * connection-state recovery, and the Redis Streams adapter for scale-out (ADR 0010).
 */
export class GatewayIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly options: GatewayIoOptions,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const settings: Partial<ServerOptions> = {
      ...options,
      maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
      connectTimeout: this.options.connectTimeoutMs,
      pingInterval: 20_000,
      pingTimeout: 20_000,
      serveClient: true,
      connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
    };
    if (this.options.redis) {
      settings.adapter = createAdapter(this.options.redis, {
        streamName: this.options.streamName,
        sessionKeyPrefix: `${this.options.streamName}:session:`,
        maxLen: 100_000,
      });
    }
    return super.createIOServer(port, settings) as Server;
  }
}
