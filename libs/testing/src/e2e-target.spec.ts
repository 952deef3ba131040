import { DEV_JWT_SECRET } from '@orderflow/service-defaults';
import { composeDatabaseName, e2eVariable, externalTargetFromEnv } from './e2e-target';

describe('externalTargetFromEnv', () => {
  const compose = {
    E2E_TARGET: 'compose',
    E2E_GATEWAY_URL: 'http://lb:3000',
    E2E_ORDER_SERVICE_URL: 'http://order-service:3001/',
    DATABASE_URL: 'postgres://orderflow:orderflow@postgres:5432/orderflow',
    JWT_SECRET: 's'.repeat(40),
  };

  it('is undefined without E2E_TARGET: the suite starts the apps itself', () => {
    expect(externalTargetFromEnv({ E2E_ORDER_SERVICE_URL: 'http://x:1' })).toBeUndefined();
    expect(externalTargetFromEnv({ E2E_TARGET: ' ' })).toBeUndefined();
  });

  it('reads each E2E_<APP>_URL, the JWT secret and per-service databases named as compose creates them', () => {
    expect(externalTargetFromEnv(compose)).toEqual({
      kind: 'compose',
      urls: { gateway: 'http://lb:3000', 'order-service': 'http://order-service:3001' },
      databaseUrls: {
        gateway: 'postgres://orderflow:orderflow@postgres:5432/orderflow_gateway',
        'order-service': 'postgres://orderflow:orderflow@postgres:5432/orderflow_order',
      },
      jwtSecret: 's'.repeat(40),
      topicPrefix: '',
    });
  });

  it('prefers E2E_<APP>_DATABASE_URL, takes a topic prefix, and falls back to the dev secret', () => {
    const target = externalTargetFromEnv({
      E2E_TARGET: 'external',
      E2E_ORDER_SERVICE_URL: 'http://127.0.0.1:4001',
      E2E_ORDER_SERVICE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/saga_order_x',
      E2E_TOPIC_PREFIX: 'run-1.',
    });
    expect(target).toMatchObject({
      urls: { 'order-service': 'http://127.0.0.1:4001' },
      databaseUrls: { 'order-service': 'postgres://postgres@127.0.0.1:5432/saga_order_x' },
      jwtSecret: DEV_JWT_SECRET,
      topicPrefix: 'run-1.',
    });
  });

  it.each([
    [{ E2E_TARGET: 'docker' }, /E2E_TARGET=docker: expected compose or external/],
    [{ E2E_TARGET: 'compose' }, /no E2E_<APP>_URL is set/],
    [{ E2E_TARGET: 'compose', E2E_GATEWAY_URL: 'lb:3000' }, /expected an http\(s\) URL|Invalid URL/],
    [{ E2E_TARGET: 'compose', E2E_GATEWAY_URL: 'not a url' }, /Invalid URL/],
  ])('refuses %j', (env, message) => {
    expect(() => externalTargetFromEnv(env)).toThrow(message);
  });

  it('names variables and databases after the app', () => {
    expect(e2eVariable('notification-service')).toBe('E2E_NOTIFICATION_SERVICE_URL');
    expect(e2eVariable('gateway', 'DATABASE_URL')).toBe('E2E_GATEWAY_DATABASE_URL');
    expect(composeDatabaseName('inventory-service')).toBe('orderflow_inventory');
    expect(composeDatabaseName('gateway')).toBe('orderflow_gateway');
  });
});
