import {
  Controller,
  Get,
  Headers,
  HttpStatus,
  Inject,
  Param,
  Query,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  bearerToken,
  ProblemException,
  Public,
  ValidationProblem,
  verifyToken,
} from '@orderflow/service-defaults';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { OrderStatusProjection } from '../projection/order-status-projection';
import { StatusEvents } from '../status/status-events';
import { OrderEventStream } from './order-event-stream';

/** The stream's path: it stays open, so load shedding does not count it as a request in progress. */
export const isEventStreamPath = (path: string) => /^\/orders\/[^/]+\/events$/.test(path);

/**
 * SSE fallback of the `order.status` push: `GET /orders/{orderId}/events`. Public to the global
 * guard because EventSource cannot set headers: the token may also come as `?access_token=`.
 */
@Public()
@Controller('orders')
export class OrderEventsController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly projection: OrderStatusProjection,
    private readonly events: StatusEvents,
  ) {}

  @Get(':orderId/events')
  async stream(
    @Param('orderId') orderId: string,
    @Query('access_token') accessToken: string | undefined,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const customerId = this.authenticate(req.headers.authorization, accessToken);
    const lastEventId = parseLastEventId(lastEventIdHeader);
    const reload = () => this.projection.findOwned(orderId, customerId);

    // Listen before reading, so a change committed in between is not missed (versions dedupe).
    const stream = new OrderEventStream(res, reload, lastEventId);
    const unsubscribe = this.events.subscribe(orderId, (push) => stream.onChange(push));
    try {
      const snapshot = await reload();
      if (!snapshot) throw notFound(orderId);
      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      stream.start(snapshot, lastEventId !== undefined);
    } catch (error) {
      unsubscribe();
      stream.close();
      throw error;
    }
    const heartbeat = setInterval(() => stream.heartbeat(), this.config.SSE_HEARTBEAT_MS);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      stream.close();
    });
  }

  private authenticate(authorization: string | undefined, accessToken: string | undefined): string {
    const token = bearerToken(authorization) ?? (typeof accessToken === 'string' ? accessToken : undefined);
    if (!token) throw new UnauthorizedException('A bearer token is required');
    const check = verifyToken(token, this.config.JWT_SECRET);
    if (!check.ok) throw new UnauthorizedException('The bearer token is invalid or expired');
    return check.principal.customerId;
  }
}

function parseLastEventId(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) {
    throw new ValidationProblem([
      { field: 'Last-Event-ID', message: 'must be an order version (a non-negative integer)' },
    ]);
  }
  return Number(raw.trim());
}

function notFound(orderId: string): ProblemException {
  return new ProblemException(
    HttpStatus.NOT_FOUND,
    'urn:orderflow:problem:not-found',
    'Not Found',
    `Order ${orderId} was not found`,
  );
}
