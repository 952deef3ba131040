import { io, Manager, Socket } from 'socket.io-client';
import { waitFor } from '@orderflow/testing';

export interface StatusPush {
  orderId: string;
  status: string;
  version: number;
  occurredAt: string;
  reason: string | null;
}

export interface LiveClient {
  socket: Socket;
  /** Every `order.status` received, in arrival order. */
  received: StatusPush[];
}

export function openClient(
  baseUrl: string,
  token: string | undefined,
  options: { reconnection?: boolean } = {},
): LiveClient {
  const socket = io(`${baseUrl}/orders`, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
  });
  const received: StatusPush[] = [];
  socket.on('order.status', (push: StatusPush) => received.push(push));
  return { socket, received };
}

/** Connects; resolves once connected, rejects with the server's `connect_error` message. */
export async function connectClient(baseUrl: string, token: string | undefined): Promise<LiveClient> {
  const client = openClient(baseUrl, token);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', (error: Error) => reject(error));
  });
  return client;
}

export async function connectError(baseUrl: string, token: string | undefined): Promise<string> {
  try {
    const client = await connectClient(baseUrl, token);
    client.socket.disconnect();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  }
}

export type SubscribeAck =
  { ok: true; order: { orderId: string; status: string; version: number } } | { ok: false; error: string };

export function subscribe(client: LiveClient, orderId: unknown): Promise<SubscribeAck> {
  return client.socket.timeout(5_000).emitWithAck('order.subscribe', { orderId }) as Promise<SubscribeAck>;
}

/** The statuses a client got for one order, in arrival order. */
export const statusesOf = (client: LiveClient, orderId: string) =>
  client.received.filter((p) => p.orderId === orderId).map((p) => `${p.version}:${p.status}`);

export async function waitForStatuses(
  client: LiveClient,
  orderId: string,
  count: number,
  timeoutMs = 30_000,
) {
  await waitFor(
    `${count} statuses of ${orderId}`,
    () => client.received.filter((p) => p.orderId === orderId).length >= count,
    { timeoutMs, intervalMs: 50 },
  );
}

/** Opens only the transport, never joining a namespace; resolves with how long until the server closed it. */
export function idleTransport(baseUrl: string): Promise<number> {
  const started = Date.now();
  const manager = new Manager(baseUrl, {
    transports: ['websocket'],
    reconnection: false,
    autoConnect: false,
  });
  return new Promise((resolve, reject) => {
    manager.open((error) => {
      if (error) reject(error);
    });
    manager.on('close', () => resolve(Date.now() - started));
  });
}
