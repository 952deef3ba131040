import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public, signToken, ValidationProblem } from '@orderflow/service-defaults';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

const CUSTOMER_ID = /^[A-Za-z0-9._@-]{1,64}$/;
const FORWARDED_REQUEST_HEADERS = ['authorization', 'idempotency-key', 'content-type'];
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'location', 'idempotent-replayed', 'retry-after'];
const UPSTREAM_TIMEOUT_MS = 10_000;

/**
 * What the storefront page needs besides the push: the catalog and orders through this one origin
 * (a thin pass-through; the services authenticate), and dev sign-in outside production.
 */
@Public()
@Controller('api')
export class StorefrontApiController {
  private readonly logger = new Logger('storefront-api');

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Post('dev-token')
  @HttpCode(200)
  devToken(@Body() body: unknown): { token: string } {
    if (this.config.NODE_ENV === 'production')
      throw new NotFoundException('Dev sign-in is disabled in production');
    const customerId = (body as { customerId?: unknown } | undefined)?.customerId;
    if (typeof customerId !== 'string' || !CUSTOMER_ID.test(customerId)) {
      throw new ValidationProblem([
        { field: '/customerId', message: 'must be 1-64 characters [A-Za-z0-9._@-]' },
      ]);
    }
    return { token: signToken(customerId, this.config.JWT_SECRET, { expiresInSeconds: 8 * 3600 }) };
  }

  @Get('products')
  products(@Query() query: Record<string, string>, @Req() req: Request, @Res() res: Response) {
    return this.forward(req, res, this.config.INVENTORY_URL, `/products${search(query)}`);
  }

  @Get('orders')
  orders(@Query() query: Record<string, string>, @Req() req: Request, @Res() res: Response) {
    return this.forward(req, res, this.config.ORDER_URL, `/orders${search(query)}`);
  }

  @Get('orders/:orderId')
  order(@Param('orderId') orderId: string, @Req() req: Request, @Res() res: Response) {
    return this.forward(req, res, this.config.ORDER_URL, `/orders/${encodeURIComponent(orderId)}`);
  }

  @Post('orders')
  placeOrder(@Req() req: Request, @Res() res: Response) {
    return this.forward(req, res, this.config.ORDER_URL, '/orders', JSON.stringify(req.body ?? {}));
  }

  private async forward(
    req: Request,
    res: Response,
    base: string,
    path: string,
    body?: string,
  ): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(new URL(path, base), {
        method: req.method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
    } catch (error) {
      this.logger.warn(
        `upstream ${base} unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
      res
        .status(502)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'about:blank',
            title: 'Bad Gateway',
            status: 502,
            detail: 'The upstream service is unreachable',
          }),
        );
      return;
    }
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value !== null) res.setHeader(name, value);
    }
    res.status(upstream.status).send(Buffer.from(await upstream.arrayBuffer()));
  }
}

function search(query: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (typeof value === 'string') params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
