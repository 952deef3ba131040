import { io, Socket } from 'socket.io-client';
import { now } from './stats';

export const TERMINAL = new Set(['SHIPPING_SCHEDULED', 'REJECTED', 'CANCELLED']);

interface StatusPush {
  orderId: string;
  status: string;
  version: number;
}

export interface Customer {
  id: string;
  token: string;
  socket: Socket;
}

/** When the terminal status of an order reached its customer's socket, and which status it was. */
export interface TerminalSeen {
  status: string;
  at: number;
}

/**
 * The customers' Socket.IO connections to the gateway. Every `order.status` push is recorded by
 * order id as it arrives, so a push that beats the `POST /orders` answer still counts.
 */
export class CustomerSockets {
  readonly terminal = new Map<string, TerminalSeen>();
  /** Pushes received (all statuses), for the report. */
  pushes = 0;
  disconnects = 0;

  private constructor(readonly customers: Customer[]) {}

  static async connect(
    gatewayUrl: string,
    count: number,
    token: (customerId: string) => string,
    runName: string,
  ): Promise<CustomerSockets> {
    const customers: Customer[] = [];
    const sockets = new CustomerSockets(customers);
    for (let i = 0; i < count; i += 1) {
      const id = `${runName}-customer-${i}`;
      const socket = io(`${gatewayUrl}/orders`, {
        auth: { token: token(id) },
        transports: ['websocket'],
        reconnection: true,
        forceNew: true,
      });
      socket.on('order.status', (push: StatusPush) => sockets.record(push));
      socket.on('disconnect', () => (sockets.disconnects += 1));
      customers.push({ id, token: token(id), socket });
    }
    await Promise.all(customers.map((customer) => connected(customer.socket)));
    return sockets;
  }

  close(): void {
    for (const customer of this.customers) customer.socket.disconnect();
  }

  private record(push: StatusPush) {
    this.pushes += 1;
    if (TERMINAL.has(push.status) && !this.terminal.has(push.orderId))
      this.terminal.set(push.orderId, { status: push.status, at: now() });
  }
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 30 s')), 30_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`socket connect_error: ${error.message}`));
    });
  });
}
