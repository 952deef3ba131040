import { createConnection, createServer, Server } from 'node:net';
import { ConnectionTap, TcpProxy } from './tcp-proxy';

/** Labels a connection with the first bytes its client sends. */
const firstBytesTap = (): ConnectionTap => {
  const tap = {
    label: undefined as string | undefined,
    onChunk(chunk: Buffer, toServer: boolean) {
      if (toServer) tap.label ??= chunk.toString();
      return undefined;
    },
    close: () => undefined,
  };
  return tap;
};

/** Milliseconds for `label` to come back through the proxy from an echo server, twice. */
async function roundTrips(port: number, label: string): Promise<number[]> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const took: number[] = [];
  for (let i = 0; i < 2; i++) {
    const started = Date.now();
    const echoed = new Promise((resolve) => socket.once('data', resolve));
    socket.write(label);
    await echoed;
    took.push(Date.now() - started);
  }
  socket.destroy();
  return took;
}

describe('TcpProxy latency per label', () => {
  let echo: Server;
  let proxy: TcpProxy;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as { port: number }).port;
    proxy = new TcpProxy('echo', 0, port, '127.0.0.1', firstBytesTap);
    await proxy.start();
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('slows only the connections of the label, both ways, until set back to 0; restore() keeps it', async () => {
    proxy.setLabelLatency('slow', 300);
    proxy.restore(); // ends a proxy-wide fault, not the label's latency
    const [slow, fast] = await Promise.all([
      roundTrips(proxy.listenPort, 'slow'),
      roundTrips(proxy.listenPort, 'fast'),
    ]);
    expect(slow[1]).toBeGreaterThanOrEqual(590); // labelled by its first chunk: later ones wait both ways
    expect(Math.max(...fast)).toBeLessThan(300);
    proxy.setLabelLatency('slow', 0);
    expect(Math.max(...(await roundTrips(proxy.listenPort, 'slow')))).toBeLessThan(300);
  });
});
