import { InvalidConfigError, loadConfig, env } from './env';
import { commonConfigSpec, DEV_JWT_SECRET, loadServiceConfig } from './service-config';

const identity = { name: 'order-service', defaultPort: 3001, database: 'orderflow_order' };

describe('service configuration', () => {
  it('fills every common variable with its default on an empty environment', () => {
    const config = loadServiceConfig(identity, undefined, {});
    expect(config).toMatchObject({
      PORT: 3001,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/orderflow_order',
      JWT_SECRET: DEV_JWT_SECRET,
      REDIS_URL: undefined,
      OUTBOX_RELAY: 'on',
    });
  });

  it('takes OUTBOX_RELAY as on, off or only, and names it when it is anything else', () => {
    expect(loadServiceConfig(identity, undefined, { OUTBOX_RELAY: 'only' }).OUTBOX_RELAY).toBe('only');
    expect(() => loadServiceConfig(identity, undefined, { OUTBOX_RELAY: 'separate' })).toThrow(
      'invalid configuration: OUTBOX_RELAY must be one of on, off, only (got "separate")',
    );
  });

  it('names each bad variable in one message', () => {
    const attempt = () =>
      loadServiceConfig(identity, undefined, { PORT: '70000', KAFKA_BROKERS: 'a:b', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(InvalidConfigError);
    expect(attempt).toThrow(
      'invalid configuration: PORT must be between 1 and 65535 (got 70000); LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud"); KAFKA_BROKERS must be a comma-separated list of host:port (got "a:b")',
    );
  });

  it('refuses a retired variable, naming what replaced it, instead of ignoring it', () => {
    const attempt = () =>
      loadServiceConfig(identity, undefined, { GATEWAY_CONSUMER_SESSION_TIMEOUT_MS: '20000', PORT: 'x' });
    expect(attempt).toThrow(
      'invalid configuration: GATEWAY_CONSUMER_SESSION_TIMEOUT_MS is no longer read: set KAFKA_SESSION_TIMEOUT_MS instead; PORT',
    );
    expect(loadServiceConfig(identity, undefined, { KAFKA_SESSION_TIMEOUT_MS: '20000' })).toMatchObject({
      KAFKA_SESSION_TIMEOUT_MS: 20_000,
    });
  });

  it('refuses the development JWT secret in production, and short secrets anywhere', () => {
    expect(() => loadConfig(commonConfigSpec(identity), { NODE_ENV: 'production' })).toThrow(
      'JWT_SECRET is required when NODE_ENV=production',
    );
    expect(() => loadConfig(commonConfigSpec(identity), { JWT_SECRET: 'short' })).toThrow(
      'JWT_SECRET must be at least 32 characters',
    );
  });

  it('does not echo credentials of a malformed URL', () => {
    expect(() =>
      loadConfig({ URL: env.url({ protocols: ['postgres'] }) }, { URL: 'postgres://user:hunter2@' }),
    ).toThrow(/^(?!.*hunter2)/);
  });

  it('adds an app’s own variables to the common ones', () => {
    const config = loadServiceConfig(
      identity,
      { PAYMENT_LATENCY_MS: env.int({ min: 0, max: 60_000, default: 0 }) },
      { PAYMENT_LATENCY_MS: '25' },
    );
    expect(config.PAYMENT_LATENCY_MS).toBe(25);
    expect(config.PORT).toBe(3001);
  });
});
