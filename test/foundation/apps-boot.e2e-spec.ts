import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AppIdentity, AppSupervisor, discoverApps, ManagedApp, REPO_ROOT } from '@orderflow/testing';

// Ports away from the defaults so a running `npm start` does not collide with the test.
const PORT_OFFSET = 1000;

describe('the six apps as processes', () => {
  let identities: AppIdentity[];
  let supervisor: AppSupervisor;
  let apps: ManagedApp[];

  beforeAll(async () => {
    identities = await discoverApps(REPO_ROOT);
    supervisor = new AppSupervisor({ root: REPO_ROOT, logDir: join(REPO_ROOT, 'tmp/logs/foundation-e2e') });
    apps = identities.map((id) => supervisor.start({ name: id.name, port: id.defaultPort + PORT_OFFSET }));
    await Promise.all(apps.map((app) => supervisor.waitReady(app, 120_000)));
  }, 150_000);

  afterAll(async () => {
    await supervisor?.stopAll();
  });

  it('are the six apps of the spec on their ports', () => {
    expect(identities.map((i) => [i.name, i.defaultPort])).toEqual([
      ['gateway', 3000],
      ['order-service', 3001],
      ['inventory-service', 3002],
      ['payment-service', 3003],
      ['shipping-service', 3004],
      ['notification-service', 3005],
    ]);
  });

  it('report live and ready (database and Kafka reachable)', async () => {
    for (const app of apps) {
      const live = await fetch(`${app.url}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`${app.url}/health/ready`);
      const body = (await ready.json()) as { checks: unknown };
      expect({ app: app.id, status: ready.status, checks: body.checks }).toEqual({
        app: app.id,
        status: 200,
        checks: expect.objectContaining({ database: { status: 'up' }, kafka: { status: 'up' } }),
      });
    }
  });

  it('serve Prometheus metrics that count the requests they served', async () => {
    for (const app of apps) {
      const res = await fetch(`${app.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      expect(text).toMatch(
        /http_server_request_duration(_seconds)?_count\{[^}]*http_route="\/health\/ready"[^}]*\} [1-9]/,
      );
    }
  });

  it('answer unknown routes with problem+json', async () => {
    const res = await fetch(`${apps[1].url}/no-such-route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ type: 'about:blank', status: 404, title: 'Not Found' });
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
