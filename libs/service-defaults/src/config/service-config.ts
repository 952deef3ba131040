import { env, EnvSpec, loadConfig, RetiredVariables } from './env';

/** Variables every app reads; an app adds its own with `extra`. */
export interface CommonConfig {
  NODE_ENV: 'development' | 'production' | 'test';
  PORT: number;
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  KAFKA_BROKERS: string[];
  DATABASE_URL: string;
  JWT_SECRET: string;
  REDIS_URL: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT: string | undefined;
  SHUTDOWN_TIMEOUT_MS: number;
  /**
   * Kafka consumer session timeout: how long a member that stopped heartbeating (killed, paused)
   * keeps its partitions, and so how long a restarted replica waits to rejoin its group.
   */
  KAFKA_SESSION_TIMEOUT_MS: number;
  /** Partitions a consumer applies at the same time (each partition stays in order). */
  KAFKA_PARTITIONS_CONCURRENTLY: number;
  /** HTTP requests in progress at most; beyond, 503 at once (load shedding, http/load-shedding.ts). */
  HTTP_MAX_IN_FLIGHT: number;
  /**
   * The instance's part in publishing its service's outbox (docs/adr/0052-*): `on`, it serves HTTP,
   * consumes, and may be the active relay (one per database, the others stand by); `off`, it never
   * relays; `only`, it only relays: no consumer, and HTTP for health and metrics alone.
   */
  OUTBOX_RELAY: OutboxRelayRole;
}

export type OutboxRelayRole = 'on' | 'off' | 'only';

export const DEV_JWT_SECRET = 'orderflow-dev-secret-change-me-0123456789';

export interface ServiceIdentity {
  /** e.g. `order-service`; used for logs, metrics, traces, Kafka client and consumer group ids. */
  name: string;
  defaultPort: number;
  /** Database name on the local Postgres, for the DATABASE_URL default. */
  database: string;
}

export function commonConfigSpec(service: ServiceIdentity): EnvSpec<CommonConfig> {
  return {
    NODE_ENV: env.oneOf(['development', 'production', 'test'] as const, 'development'),
    PORT: env.port(service.defaultPort),
    LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    KAFKA_BROKERS: env.hostPorts('127.0.0.1:9092'),
    DATABASE_URL: env.url({
      protocols: ['postgres', 'postgresql'],
      default: `postgres://postgres@127.0.0.1:5432/${service.database}`,
    }),
    JWT_SECRET: env.secret({ devDefault: DEV_JWT_SECRET, minLength: 32 }),
    REDIS_URL: env.optionalUrl({ protocols: ['redis', 'rediss'] }),
    OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl({ protocols: ['http', 'https'] }),
    SHUTDOWN_TIMEOUT_MS: env.int({ min: 100, max: 120_000, default: 10_000 }),
    KAFKA_SESSION_TIMEOUT_MS: env.int({ min: 6_000, max: 300_000, default: 30_000 }),
    KAFKA_PARTITIONS_CONCURRENTLY: env.int({ min: 1, max: 100, default: 32 }),
    HTTP_MAX_IN_FLIGHT: env.int({ min: 1, max: 100_000, default: 256 }),
    OUTBOX_RELAY: env.oneOf(['on', 'off', 'only'] as const, 'on'),
  };
}

/** Renamed or folded variables (see loadConfig): set, they stop start-up with one clear line. */
export const RETIRED_VARIABLES: RetiredVariables = {
  GATEWAY_CONSUMER_SESSION_TIMEOUT_MS: 'KAFKA_SESSION_TIMEOUT_MS',
};

export function loadServiceConfig<Extra = object>(
  service: ServiceIdentity,
  extra?: EnvSpec<Extra>,
  source: NodeJS.ProcessEnv = process.env,
): CommonConfig & Extra {
  return loadConfig(
    { ...commonConfigSpec(service), ...(extra ?? {}) } as EnvSpec<CommonConfig & Extra>,
    source,
    RETIRED_VARIABLES,
  );
}
