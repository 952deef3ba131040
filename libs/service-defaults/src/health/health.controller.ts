import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { HealthRegistry } from './health.registry';

@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthRegistry) {}

  /** The process is up and its event loop answers; nothing else. */
  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'live' };
  }

  /** Ready to serve: its database and Kafka (and Redis where used) answer, and not shutting down. */
  @Get('ready')
  async ready(@Res() res: Response) {
    const report = await this.health.readiness();
    res
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
  }
}
