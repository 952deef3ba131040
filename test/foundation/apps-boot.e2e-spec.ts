import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { discoverApps, REPO_ROOT } from '@orderflow/testing';

// The built apps themselves: their identities, and how they refuse to start on a bad configuration.
// Running apps' health and metrics: apps-health.e2e-spec.ts.
describe('the built apps', () => {
  it('are the six apps of the spec on their ports', async () => {
    const identities = await discoverApps(REPO_ROOT);
    expect(identities.map((i) => [i.name, i.defaultPort])).toEqual([
      ['gateway', 3000],
      ['order-service', 3001],
      ['inventory-service', 3002],
      ['payment-service', 3003],
      ['shipping-service', 3004],
      ['notification-service', 3005],
    ]);
  });

  it.each([
    ['PORT', 'not-a-port', /PORT must be an integer/],
    ['KAFKA_BROKERS', 'kafka', /KAFKA_BROKERS must be a comma-separated list of host:port/],
    ['DATABASE_URL', 'mysql://x/y', /DATABASE_URL must use postgres or postgresql/],
  ])('stop at start-up with one line naming a bad %s', (name, value, message) => {
    const main = join(REPO_ROOT, 'dist/apps/order-service/src/main.js');
    const result = spawnSync(process.execPath, [main], {
      env: { ...process.env, [name]: value },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toContain('[order-service]');
  });

  it('refuses the development JWT secret in production', () => {
    const main = join(REPO_ROOT, 'dist/apps/payment-service/src/main.js');
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
    delete env.JWT_SECRET;
    const result = spawnSync(process.execPath, [main], { env, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      '[payment-service] invalid configuration: JWT_SECRET is required when NODE_ENV=production',
    );
  });
});
