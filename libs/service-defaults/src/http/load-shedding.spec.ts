import { once } from 'node:events';
import { createServer, request as httpRequest, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@orderflow/testing';
import { ALWAYS_SERVED, shedLoad } from './load-shedding';

// A plain HTTP server behind the middleware, whose handler holds every request until released.
describe('load shedding (shedLoad)', () => {
  let server: Server;
  let base: string;
  const held: ServerResponse[] = [];
  const closedEarly = new Set<string>(); // x-name of requests whose connection closed before an answer
  const release = () => held.shift()?.end('done');

  beforeAll(async () => {
    const shed = shedLoad({ maxInFlight: 2, exempt: (path) => ALWAYS_SERVED(path) || path === '/stream' });
    server = createServer((req, res) =>
      shed(req, res, () => {
        held.push(res);
        res.once('close', () => {
          if (!res.writableEnded) closedEarly.add(String(req.headers['x-name']));
        });
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    while (held.length > 0) release();
    server.closeAllConnections();
    server.close();
  });

  const send = (path: string) => fetch(`${base}${path}`, { method: 'POST', body: '{}' });
  const heldCount = async (n: number) => waitFor(`${n} held requests`, () => held.length === n);

  it('refuses the request past the limit with 503 problem+json and Retry-After, and serves again once one ends', async () => {
    const first = [send('/orders'), send('/orders')];
    await heldCount(2);

    const refused = await send('/orders?x=1');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toEqual({
      type: 'urn:orderflow:problem:overloaded',
      title: 'Service overloaded',
      status: 503,
      detail: 'More than 2 requests are in progress; nothing was done, retry in 1 s',
      instance: '/orders',
      retryAfterSeconds: 1,
    });

    release();
    expect((await first[0]).status).toBe(200);
    const third = send('/orders');
    await heldCount(2);
    release();
    release();
    expect((await first[1]).status).toBe(200);
    expect((await third).status).toBe(200);
  });

  it('always lets probes, scrapes and exempt long-lived streams through, without counting them', async () => {
    const busy = [send('/orders'), send('/orders')];
    await heldCount(2);
    const exempt = ['/health/ready', '/metrics', '/stream'].map(send);
    await heldCount(5);
    expect((await send('/orders')).status).toBe(503);

    while (held.length > 0) release();
    expect((await Promise.all([...busy, ...exempt])).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('frees the slot of a request whose client went away', async () => {
    const gone = httpRequest(`${base}/orders`, { method: 'POST', headers: { 'x-name': 'gone' } });
    gone.on('error', () => undefined); // the destroy below
    gone.write('{'); // headers sent, body unfinished
    const other = send('/orders');
    await heldCount(2);
    expect((await send('/orders')).status).toBe(503);

    gone.destroy();
    await waitFor('the server to see the client go', () => closedEarly.has('gone'));
    const next = send('/orders');
    await heldCount(3); // the gone one's response is still held, but no longer counted
    while (held.length > 0) release();
    expect((await other).status).toBe(200);
    expect((await next).status).toBe(200);
  });
});
