import { createServer, Server as HttpServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, Socket } from 'socket.io-client';
import { waitFor } from '@orderflow/testing';
import { boundedRecoveryAdapter } from './bounded-recovery.adapter';

const MAX_PACKETS = 100;

describe('boundedRecoveryAdapter (a real Socket.IO server and client on loopback)', () => {
  let http: HttpServer;
  let io: Server;
  let client: Socket;
  let received: number[];

  beforeEach(async () => {
    http = createServer();
    io = new Server(http, {
      connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: true },
      adapter: boundedRecoveryAdapter(MAX_PACKETS),
    });
    io.on('connection', (socket) => void socket.join('customer'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    received = [];
    client = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      transports: ['websocket'],
      reconnectionDelay: 50,
    });
    client.on('status', (n: number) => received.push(n));
    await waitFor('connected', () => client.connected);
  });

  afterEach(async () => {
    client.close();
    await io.close();
  });

  const push = (from: number, count: number) => {
    for (let n = from; n < from + count; n++) io.to('customer').emit('status', n);
  };
  const kept = () => (io.of('/').adapter as unknown as { packets: Array<{ data: unknown[] }> }).packets;
  const dropAndReconnect = async (whileAway: () => void) => {
    client.io.engine.close(); // a network drop, not a deliberate disconnect
    await waitFor('the drop noticed', () => !client.connected);
    whileAway();
    await waitFor('reconnected', () => client.connected, { timeoutMs: 10_000 });
  };

  it('keeps at most a tenth more than its bound, and the latest pushes', () => {
    push(0, 1_000);
    expect(kept().length).toBeGreaterThanOrEqual(MAX_PACKETS);
    expect(kept().length).toBeLessThanOrEqual(MAX_PACKETS * 1.1);
    expect(kept().at(-1)!.data[1]).toBe(999);
  });

  it('replays a gap within the bound on reconnect', async () => {
    push(0, 1);
    await waitFor('the first push', () => received.length === 1);
    await dropAndReconnect(() => push(1, 50));
    expect(client.recovered).toBe(true);
    await waitFor('the missed pushes', () => received.length === 51);
    expect(received).toEqual(Array.from({ length: 51 }, (_, n) => n));
  });

  it('does not recover a gap beyond the bound: the client knows to resync', async () => {
    push(0, 1);
    await waitFor('the first push', () => received.length === 1);
    await dropAndReconnect(() => push(1, 500));
    expect(client.recovered).toBe(false);
    expect(received).toEqual([0]);
  });
});
