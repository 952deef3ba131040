import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A port free to listen on, below the kernel's ephemeral range. A port the kernel picked (listen
 * on 0) comes from that range, and once its app dies any outgoing connection may take it as its
 * local port: the app restarted on it (chaos runs) then fails with EADDRINUSE for as long as that
 * connection lives.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralRangeStart();
  const from = Math.max(1_024, below - 12_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (below - from));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found in ${from}-${below - 1}`);
}

function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(start) || 32_768;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 32_768; // not Linux: its usual default
    throw error;
  }
}

/** Whether the port can be listened on, on every interface (as the apps do). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
