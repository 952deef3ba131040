import { CommonConfig, env, EnvSpec, SERVICE_CONFIG } from '@orderflow/service-defaults';

/** The gateway's own variables, validated with the common ones at start-up. */
export interface GatewayExtraConfig {
  /** inventory-service base URL, for the storefront's `/api/products` proxy. */
  INVENTORY_URL: string;
  /** order-service base URL, for the storefront's `/api/orders` proxy. */
  ORDER_URL: string;
  /** Socket.IO: client messages allowed per socket per second (token bucket refill rate). */
  SOCKET_RATE_PER_SEC: number;
  /** Socket.IO: how long a connection may stay without completing the handshake. */
  SOCKET_AUTH_TIMEOUT_MS: number;
  /**
   * Socket.IO: connections one instance holds at most (~20 MB of heap per 1,000; the default fits
   * the 384 MB heap budget, APP_HEAP_MB). Raise both together.
   */
  SOCKET_MAX_CONNECTIONS: number;
  /**
   * Socket.IO connection-state recovery without Redis: pushes kept in memory for clients that
   * reconnect (~0.7 KB of heap each). A client that missed more resyncs from snapshots. With Redis,
   * the stream keeps the latest 100,000.
   */
  SOCKET_RECOVERY_MAX_PACKETS: number;
  /** SSE comment heartbeat; also how often an open stream re-checks the projection. */
  SSE_HEARTBEAT_MS: number;
  /** Kafka consumer group of the status consumer; every instance of one deployment shares it. */
  GATEWAY_CONSUMER_GROUP: string;
  /** Redis stream (and key prefix) of the Socket.IO adapter; one per deployment. */
  SOCKET_IO_REDIS_STREAM: string;
}

export type GatewayConfig = CommonConfig & GatewayExtraConfig;

const CONSUMER_GROUP = /^[A-Za-z0-9._-]{1,200}$/;

export const GATEWAY_CONFIG_SPEC: EnvSpec<GatewayExtraConfig> = {
  INVENTORY_URL: env.url({ protocols: ['http', 'https'], default: 'http://127.0.0.1:3002' }),
  ORDER_URL: env.url({ protocols: ['http', 'https'], default: 'http://127.0.0.1:3001' }),
  SOCKET_RATE_PER_SEC: env.int({ min: 1, max: 1_000, default: 20 }),
  SOCKET_AUTH_TIMEOUT_MS: env.int({ min: 100, max: 60_000, default: 5_000 }),
  SOCKET_MAX_CONNECTIONS: env.int({ min: 1, max: 1_000_000, default: 10_000 }),
  SOCKET_RECOVERY_MAX_PACKETS: env.int({ min: 100, max: 10_000_000, default: 20_000 }),
  SSE_HEARTBEAT_MS: env.int({ min: 100, max: 120_000, default: 15_000 }),
  GATEWAY_CONSUMER_GROUP: env.string({ default: 'gateway', pattern: CONSUMER_GROUP }),
  SOCKET_IO_REDIS_STREAM: env.string({
    default: 'orderflow:gateway:socket.io',
    pattern: /^[A-Za-z0-9:._-]{1,200}$/,
  }),
};

/**
 * The consumer group, read while the module graph is declared (before config validation runs; an
 * invalid value still stops the app at start-up through GATEWAY_CONFIG_SPEC). How soon a dead
 * instance's partitions move is the common KAFKA_SESSION_TIMEOUT_MS.
 */
export function consumerOptions(source: NodeJS.ProcessEnv = process.env): { group: string } {
  const group = source.GATEWAY_CONSUMER_GROUP?.trim();
  return { group: group && CONSUMER_GROUP.test(group) ? group : 'gateway' };
}

/** Same object as SERVICE_CONFIG (runService validates the extra spec into it). */
export const GATEWAY_CONFIG = SERVICE_CONFIG;
