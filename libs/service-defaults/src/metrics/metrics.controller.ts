import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public } from '../auth/public.decorator';
import { metricsExporter } from './metrics';

@Controller()
export class MetricsController {
  @Public()
  @Get('metrics')
  scrape(@Req() req: Request, @Res() res: Response) {
    metricsExporter().getMetricsRequestHandler(req, res);
  }
}
