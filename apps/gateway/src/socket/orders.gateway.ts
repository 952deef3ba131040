import { Inject, Logger } from '@nestjs/common';
import {
  MessageBody,
  ConnectedSocket,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import type { OrderSnapshot } from '@orderflow/contracts';
import { meter } from '@orderflow/service-defaults';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { OrderStatusProjection } from '../projection/order-status-projection';
import { customerRoom, StatusFanout } from '../status/status-fanout';
import { socketAuthMiddleware, SocketData } from './socket-auth';
import { TokenBucket } from './token-bucket';

export type SubscribeAck =
  | { ok: true; order: OrderSnapshot }
  | { ok: false; error: 'not_found' | 'invalid_request' | 'rate_limited' | 'unavailable' };

const ORDER_ID_MAX = 100;

/**
 * Namespace `/orders`: authenticated in the handshake, each socket joins its customer's room and
 * receives `order.status` for that customer's orders; `order.subscribe` answers from the
 * projection. Client messages are size-bounded by the server and rate-limited per socket.
 */
@WebSocketGateway({ namespace: '/orders' })
export class OrdersGateway
  implements OnGatewayInit<Namespace>, OnGatewayConnection<Socket>, OnGatewayDisconnect<Socket>
{
  private readonly logger = new Logger('orders-gateway');
  private bound = false;
  private readonly connected = meter().createUpDownCounter('gateway_sockets_connected', {
    description: 'Socket.IO connections in namespace /orders on this instance',
  });

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly projection: OrderStatusProjection,
    private readonly fanout: StatusFanout,
  ) {}

  afterInit(namespace: Namespace) {
    namespace.use(socketAuthMiddleware(this.config.JWT_SECRET));
    if (this.bound) {
      // Nest binds gateways once more for the hybrid app's Kafka microservice, on a server of its
      // own (default adapter, random port). Only the first, HTTP-attached server is ours.
      this.logger.debug?.('closing the duplicate Socket.IO server of the microservice context');
      void namespace.server.close();
      return;
    }
    this.bound = true;
    this.fanout.attach(namespace, Boolean(this.config.REDIS_URL));
  }

  async handleConnection(socket: Socket) {
    const { principal } = socket.data as SocketData;
    await socket.join(customerRoom(principal.customerId));
    this.limitMessages(socket);
    this.connected.add(1);
  }

  handleDisconnect() {
    this.connected.add(-1);
  }

  @SubscribeMessage('order.subscribe')
  async subscribe(@MessageBody() body: unknown, @ConnectedSocket() socket: Socket): Promise<SubscribeAck> {
    const orderId = orderIdOf(body);
    if (!orderId) return { ok: false, error: 'invalid_request' };
    const { principal } = socket.data as SocketData;
    try {
      const order = await this.projection.findOwned(orderId, principal.customerId);
      return order ? { ok: true, order } : { ok: false, error: 'not_found' };
    } catch (error) {
      this.logger.warn(`order.subscribe failed: ${error instanceof Error ? error.message : String(error)}`);
      return { ok: false, error: 'unavailable' };
    }
  }

  /** Over budget: the message is dropped (acked `rate_limited`); a client that keeps flooding is cut off. */
  private limitMessages(socket: Socket) {
    const rate = this.config.SOCKET_RATE_PER_SEC;
    const bucket = new TokenBucket(rate, rate * 2);
    let strikes = 0;
    socket.use((packet, next) => {
      if (bucket.take()) {
        strikes = 0;
        return next();
      }
      const ack: unknown = packet[packet.length - 1];
      if (typeof ack === 'function')
        (ack as (reply: SubscribeAck) => void)({ ok: false, error: 'rate_limited' });
      if (++strikes > rate * 2 && socket.connected) {
        this.logger.warn(
          `disconnecting flooding socket of ${(socket.data as SocketData).principal.customerId}`,
        );
        socket.disconnect(true);
      }
    });
  }
}

function orderIdOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'orderId') return undefined;
  const { orderId } = body as { orderId: unknown };
  return typeof orderId === 'string' && orderId.length > 0 && orderId.length <= ORDER_ID_MAX
    ? orderId
    : undefined;
}
