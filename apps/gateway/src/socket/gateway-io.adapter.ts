import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { RedisClientType } from 'redis';
import type { Server, ServerOptions } from 'socket.io';
import { meter } from '@orderflow/service-defaults';
import { boundedRecoveryAdapter } from './bounded-recovery.adapter';

export interface GatewayIoOptions {
  /** Redis client for the streams adapter; in-memory adapter (one instance) when absent. */
  redis: RedisClientType | undefined;
  /** How long a transport may stay open without joining a namespace (i.e. authenticating). */
  connectTimeoutMs: number;
  /** Redis stream of this deployment; session keys are prefixed with it too. */
  streamName: string;
  /** Connections this instance holds at most; a new one past it is refused (403) at the handshake. */
  maxConnections: number;
  /** Pushes kept in memory for connection-state recovery when there is no Redis. */
  recoveryMaxPackets: number;
}

/** Client messages are tiny (`order.subscribe`); anything bigger is refused by the transport. */
export const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;

/**
 * Socket.IO server settings shared by every gateway: bounded messages and connections, idle
 * handshakes closed, connection-state recovery, and the Redis Streams adapter for scale-out (ADR 0010).
 */
export class GatewayIoAdapter extends IoAdapter {
  /**
   * A full instance refuses new handshakes, so that it stays within its heap budget (APP_HEAP_MB):
   * past it V8 aborts the process and every socket on it drops. Engine.IO answers 403; the client
   * retries with its reconnection backoff, through the load balancer to any instance.
   */
  private readonly refusedConnections = meter().createCounter('gateway_connections_refused_total', {
    description: 'Socket.IO handshakes refused because the instance was at SOCKET_MAX_CONNECTIONS',
  });

  constructor(
    app: INestApplicationContext,
    private readonly options: GatewayIoOptions,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const created: { server?: Server } = {}; // allowRequest only runs once it is set
    const settings: Partial<ServerOptions> = {
      ...options,
      allowRequest: (_req, callback) => {
        const open = created.server?.engine.clientsCount ?? 0;
        if (open < this.options.maxConnections) return callback(null, true);
        this.refusedConnections.add(1);
        callback(`at its limit of ${this.options.maxConnections} connections`, false);
      },
      maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
      connectTimeout: this.options.connectTimeoutMs,
      pingInterval: 20_000,
      pingTimeout: 20_000,
      serveClient: true,
      connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
    };
    settings.adapter = this.options.redis
      ? createAdapter(this.options.redis, {
          streamName: this.options.streamName,
          sessionKeyPrefix: `${this.options.streamName}:session:`,
          maxLen: 100_000,
        })
      : boundedRecoveryAdapter(this.options.recoveryMaxPackets);
    created.server = super.createIOServer(port, settings) as Server;
    return created.server;
  }
}
