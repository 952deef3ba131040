import { SagaStack, SYSTEM_APPS } from '@orderflow/testing';

const APPS = SYSTEM_APPS;

// What every app serves besides its API: health, metrics, problem+json for unknown routes. Against
// the apps as processes of this test or an already-running stack (E2E_TARGET).
describe('every app of the stack', () => {
  let stack: SagaStack;

  beforeAll(async () => {
    stack = await SagaStack.start({ apps: APPS });
  }, 150_000);

  afterAll(async () => {
    await stack?.close();
  });

  it.each(APPS)('%s reports live and ready (database and Kafka reachable)', async (app) => {
    const live = await fetch(`${stack.url(app)}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${stack.url(app)}/health/ready`);
    const body = (await ready.json()) as { checks: unknown };
    expect({ status: ready.status, checks: body.checks }).toEqual({
      status: 200,
      checks: expect.objectContaining({ database: { status: 'up' }, kafka: { status: 'up' } }),
    });
  });

  it.each(APPS)('%s serves Prometheus metrics that count the requests it served', async (app) => {
    const res = await fetch(`${stack.url(app)}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await res.text()).toMatch(
      /http_server_request_duration(_seconds)?_count\{[^}]*http_route="\/health\/ready"[^}]*\} [1-9]/,
    );
  });

  it.each(APPS)('%s answers an unknown route with problem+json', async (app) => {
    const res = await fetch(`${stack.url(app)}/no-such-route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ type: 'about:blank', status: 404, title: 'Not Found' });
  });
});
