import { resolveServiceName } from './service-name';

describe('resolveServiceName', () => {
  it('prefers OTEL_SERVICE_NAME', () => {
    expect(resolveServiceName({ OTEL_SERVICE_NAME: 'custom' }, '/srv/dist/apps/gateway/src/main.js')).toBe(
      'custom',
    );
  });

  it('derives the app name from the built main script', () => {
    expect(resolveServiceName({}, '/srv/dist/apps/order-service/src/main.js')).toBe('order-service');
  });

  it('derives the app name from the source main script', () => {
    expect(resolveServiceName({}, '/work/apps/payment-service/src/main.ts')).toBe('payment-service');
  });

  it('falls back to the OpenTelemetry default for unknown scripts', () => {
    expect(resolveServiceName({}, '/usr/bin/some-tool.js')).toBe('unknown_service:node');
  });
});
