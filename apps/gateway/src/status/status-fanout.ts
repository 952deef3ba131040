import { Injectable, Logger } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { meter } from '@orderflow/service-defaults';
import { clientPayload, RoutedStatusPush } from './order-status-push';
import { StatusEvents } from './status-events';

export const ORDER_STATUS_EVENT = 'order.status';
/** Server-to-server event that tells every gateway instance's SSE streams about a change. */
const SSE_SERVER_EVENT = 'gateway:order-status';

export const customerRoom = (customerId: string) => `customer:${customerId}`;

/**
 * Delivers one committed status change: to the owner's Socket.IO room (the adapter carries it to
 * sockets on every instance) and to the SSE streams of this and, through the adapter's
 * server-side emit, every other instance. Called exactly once per change, by the instance whose
 * consumer processed the event.
 */
@Injectable()
export class StatusFanout {
  private readonly logger = new Logger('status-fanout');
  private readonly pushes = meter().createCounter('gateway_status_pushes_total', {
    description: 'Status changes pushed to customer rooms',
  });
  private namespace: Namespace | undefined;
  private clustered = false;

  constructor(private readonly events: StatusEvents) {}

  attach(namespace: Namespace, clustered: boolean): void {
    this.namespace = namespace;
    this.clustered = clustered;
    if (clustered) {
      namespace.on(SSE_SERVER_EVENT, (push: unknown) => {
        if (isRoutedPush(push)) this.events.emit(push);
      });
    }
  }

  publish(push: RoutedStatusPush): void {
    this.events.emit(push);
    if (!this.namespace) {
      this.logger.warn(`socket namespace not ready; ${push.orderId} v${push.version} reaches SSE only`);
      return;
    }
    this.namespace.to(customerRoom(push.customerId)).emit(ORDER_STATUS_EVENT, clientPayload(push));
    if (this.clustered) this.namespace.serverSideEmit(SSE_SERVER_EVENT, push);
    this.pushes.add(1);
  }
}

function isRoutedPush(value: unknown): value is RoutedStatusPush {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.orderId === 'string' && typeof v.customerId === 'string' && Number.isInteger(v.version);
}
