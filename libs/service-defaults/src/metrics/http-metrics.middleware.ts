import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { meter } from './metrics';

/** `http.server.request.duration` as OpenTelemetry's HTTP semantic conventions name it. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly duration = meter().createHistogram('http.server.request.duration', {
    unit: 's',
    description: 'Duration of HTTP server requests',
    advice: { explicitBucketBoundaries: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
  });

  use(req: Request, res: Response, next: NextFunction) {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      this.duration.record(Number(process.hrtime.bigint() - start) / 1e9, {
        'http.request.method': req.method,
        'http.route': route,
        'http.response.status_code': res.statusCode,
      });
    });
    next();
  }
}
