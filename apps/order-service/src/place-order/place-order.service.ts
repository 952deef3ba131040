import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ProblemException } from '@orderflow/service-defaults';
import type { OrderEntity } from '../order/order.entity';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { newOrder } from './new-order';
import { OrderIntake } from './order-intake';
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
 * statement, which is its own transaction, shared with the orders of concurrent POSTs
 * (OrderIntake). With an Idempotency-Key, the key row is inserted first in a transaction that also
 * runs that statement for this order alone: a concurrent duplicate blocks on its primary key until
 * this one commits, then replays it.
 */
@Injectable()
export class PlaceOrder {
  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: OrderIntake,
    private readonly recorder: OrderStatusRecorder,
  ) {}

  place(
    customerId: string,
    request: PlaceOrderRequest,
    idempotencyKey?: string,
  ): Promise<PlaceOrderResponse> {
    if (idempotencyKey === undefined) {
      const placed = newOrder(customerId, request, this.recorder);
      return this.intake.submit(placed).then(() => accepted(placed.order));
    }
    return this.dataSource.transaction(async (manager) => {
      const earlier = await this.claimKey(manager, customerId, idempotencyKey, requestHash(request));
      if (earlier) return earlier;
      const placed = newOrder(customerId, request, this.recorder);
      await this.intake.insert(manager, [placed]);
      const response = accepted(placed.order);
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
}

function accepted(order: OrderEntity): PlaceOrderResponse {
  return {
    statusCode: HttpStatus.ACCEPTED,
    headers: { Location: `/orders/${order.id}` },
    body: { orderId: order.id, status: 'PENDING', version: 1 },
    replayed: false,
  };
}
