import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProblemException } from '@orderflow/service-defaults';
import type { OrderEntity } from '../order/order.entity';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { NewOrder, newOrder } from './new-order';
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
 * (OrderIntake). With an Idempotency-Key, the statement is the request's own and begins by claiming
 * the key with the answer this request will get; the order and its events are inserted only if the
 * claim succeeded. A concurrent duplicate's claim waits on the key until that commits, then finds
 * it taken and replays its answer.
 */
@Injectable()
export class PlaceOrder {
  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: OrderIntake,
    private readonly recorder: OrderStatusRecorder,
  ) {}

  async place(
    customerId: string,
    request: PlaceOrderRequest,
    idempotencyKey?: string,
  ): Promise<PlaceOrderResponse> {
    const placed = newOrder(customerId, request, this.recorder);
    const response = accepted(placed.order);
    if (idempotencyKey === undefined) {
      await this.intake.submit(placed);
      return response;
    }
    const hash = requestHash(request);
    if (await this.claimAndInsert({ customerId, key: idempotencyKey, hash }, placed, response))
      return response;
    return this.answerOfClaim(customerId, idempotencyKey, hash);
  }

  /** One statement: claims the key with `response`, and inserts the order only if it got the key. */
  private async claimAndInsert(
    claim: { customerId: string; key: string; hash: string },
    placed: NewOrder,
    response: PlaceOrderResponse,
  ): Promise<boolean> {
    const claimParams = [
      claim.customerId,
      claim.key,
      claim.hash,
      response.statusCode,
      JSON.stringify(response.body),
      JSON.stringify(response.headers),
    ];
    const insert = this.intake.insertCtes([placed], claimParams.length + 1, 'exists (select 1 from claimed)');
    const [row] = await this.dataSource.query<{ claimed: number }[]>(
      `with claimed as (
         insert into idempotency_keys (customer_id, key, request_hash, status_code, response_body, response_headers)
         values ($1, $2, $3, $4, $5, $6)
         on conflict do nothing returning 1
       ), ${insert.sql}
       select count(*)::int as claimed from claimed`,
      [...claimParams, ...insert.params],
    );
    return row.claimed === 1;
  }

  /** The stored answer of the request that holds the key, or why there is none to give. */
  private async answerOfClaim(customerId: string, key: string, hash: string): Promise<PlaceOrderResponse> {
    const existing = await this.dataSource.manager.findOneBy(IdempotencyKeyEntity, { customerId, key });
    if (existing && existing.requestHash !== hash) {
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'urn:orderflow:problem:idempotency-key-reused',
        'Idempotency-Key reused with a different request',
        'This Idempotency-Key was already used with a different request body',
      );
    }
    // Only a key claimed by an older version, which stored the answer after the order, has none yet.
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
