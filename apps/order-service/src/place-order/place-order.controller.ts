import { Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import {
  CurrentPrincipal,
  CustomerRateLimitGuard,
  Principal,
  rateLimitFromEnv,
} from '@orderflow/service-defaults';
import { parseIdempotencyKey } from './idempotency-key';
import { parsePlaceOrderRequest } from './place-order.request';
import { PlaceOrder, PlaceOrderResponse } from './place-order.service';

/** POST /orders per customer and minute; high by default so load tests are not throttled. */
const ORDER_RATE_LIMIT = new CustomerRateLimitGuard(rateLimitFromEnv('ORDER_RATE_LIMIT_PER_MIN', 100_000));

@Controller('orders')
export class PlaceOrderController {
  constructor(private readonly placeOrder: PlaceOrder) {}

  @Post()
  @UseGuards(ORDER_RATE_LIMIT)
  async place(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKeyHeader: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PlaceOrderResponse['body']> {
    const idempotencyKey = parseIdempotencyKey(idempotencyKeyHeader);
    const request = parsePlaceOrderRequest(body);
    const result = await this.placeOrder.place(principal.customerId, request, idempotencyKey);
    res.status(result.statusCode);
    for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return result.body;
  }
}
