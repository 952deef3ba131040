import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CurrentPrincipal, Principal } from '@orderflow/service-defaults';
import { parseIdempotencyKey } from './idempotency-key';
import { parsePlaceOrderRequest } from './place-order.request';
import { PlaceOrder, PlaceOrderResponse } from './place-order.service';

@Controller('orders')
export class PlaceOrderController {
  constructor(private readonly placeOrder: PlaceOrder) {}

  @Post()
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
