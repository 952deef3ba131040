import { randomUUIDv7 } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { OutboxWriter } from '@orderflow/messaging';
import { ProblemException } from '@orderflow/service-defaults';
import { OrderEntity } from '../order/order.entity';
import { currentHistoryEntry } from '../order/order-snapshot';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { requestHash } from './idempotency-key';
import type { PlaceOrderRequest } from './place-order.request';

export interface PlaceOrderResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: { orderId: string; status: 'PENDING'; version: 1 };
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * Stores the order (its history begun), OrderCreated and OrderStatusChanged(PENDING) in one
 * statement, which is its own transaction: one round trip. With an Idempotency-Key, the key row is
 * inserted first in a transaction that also runs that statement: a concurrent duplicate blocks on
 * its primary key until this one commits, then replays it.
 */
@Injectable()
export class PlaceOrder {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly recorder: OrderStatusRecorder,
  ) {}

  place(
    customerId: string,
    request: PlaceOrderRequest,
    idempotencyKey?: string,
  ): Promise<PlaceOrderResponse> {
    if (idempotencyKey === undefined) return this.createOrder(this.dataSource.manager, customerId, request);
    return this.dataSource.transaction(async (manager) => {
      const earlier = await this.claimKey(manager, customerId, idempotencyKey, requestHash(request));
      if (earlier) return earlier;
      const response = await this.createOrder(manager, customerId, request);
      await manager.update(
        IdempotencyKeyEntity,
        { customerId, key: idempotencyKey },
        { statusCode: response.statusCode, responseBody: response.body, responseHeaders: response.headers },
      );
      return response;
    });
  }

  /** Claims the key for this request, or returns the stored answer of the request that holds it. */
  private async claimKey(
    manager: EntityManager,
    customerId: string,
    key: string,
    hash: string,
  ): Promise<PlaceOrderResponse | undefined> {
    const claimed: unknown[] = await manager.query(
      `insert into idempotency_keys (customer_id, key, request_hash) values ($1, $2, $3)
       on conflict do nothing returning key`,
      [customerId, key, hash],
    );
    if (claimed.length > 0) return undefined;
    const existing = await manager.findOneBy(IdempotencyKeyEntity, { customerId, key });
    if (existing && existing.requestHash !== hash) {
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'urn:orderflow:problem:idempotency-key-reused',
        'Idempotency-Key reused with a different request',
        'This Idempotency-Key was already used with a different request body',
      );
    }
    if (!existing || existing.statusCode === null) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'urn:orderflow:problem:idempotency-key-in-flight',
        'Request with this Idempotency-Key in progress',
        'A request with this Idempotency-Key is still being processed; retry shortly',
      );
    }
    return {
      statusCode: existing.statusCode,
      headers: existing.responseHeaders ?? {},
      body: existing.responseBody as PlaceOrderResponse['body'],
      replayed: true,
    };
  }

  private async createOrder(
    manager: EntityManager,
    customerId: string,
    request: PlaceOrderRequest,
  ): Promise<PlaceOrderResponse> {
    const now = new Date();
    const order = manager.create(OrderEntity, {
      id: randomUUIDv7(), // time-ordered: the key of the order's rows in every service (ADR 54)
      customerId,
      status: 'PENDING',
      version: 1,
      items: request.items.map(({ sku, quantity }) => ({ sku, quantity, unitPriceCents: null })),
      totalCents: null,
      currency: null,
      reason: null,
      paymentToken: request.paymentToken,
      shippingAddress: request.shippingAddress,
      createdAt: now,
      updatedAt: now,
    });
    order.history = [currentHistoryEntry(order, now)];
    // Both events go to the outbox in the order's own statement; they go to different topics,
    // each keyed by the order id.
    const events = [
      {
        type: 'OrderCreated' as const,
        payload: {
          orderId: order.id,
          customerId,
          items: request.items,
          paymentToken: request.paymentToken,
          shippingAddress: request.shippingAddress,
          createdAt: now.toISOString(),
        },
      },
      this.recorder.statusChanged(order, { previousStatus: null, at: now, causationId: null }),
    ];
    await this.recorder.insertOrder(manager, order, (firstParam) =>
      this.outbox.insertCte(events, firstParam),
    );
    return {
      statusCode: HttpStatus.ACCEPTED,
      headers: { Location: `/orders/${order.id}` },
      body: { orderId: order.id, status: 'PENDING', version: 1 },
      replayed: false,
    };
  }
}
