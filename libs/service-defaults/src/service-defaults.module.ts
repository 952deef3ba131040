import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { HealthModule } from './health/health.module';
import { HealthRegistry } from './health/health.registry';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { RequireJsonMiddleware } from './http/require-json.middleware';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsController } from './metrics/metrics.controller';
import { serviceContext } from './service-context';
import { SERVICE_CONFIG, SERVICE_IDENTITY } from './tokens';

/**
 * What every app gets by importing this one module: validated config, health endpoints,
 * Prometheus metrics, bearer-token auth on every route, problem+json errors.
 */
@Global()
@Module({
  imports: [HealthModule],
  controllers: [MetricsController],
  providers: [
    { provide: SERVICE_CONFIG, useFactory: () => serviceContext().config },
    { provide: SERVICE_IDENTITY, useFactory: () => serviceContext().identity },
    HealthRegistry,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
  exports: [SERVICE_CONFIG, SERVICE_IDENTITY, HealthRegistry],
})
export class ServiceDefaultsModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(HttpMetricsMiddleware, RequireJsonMiddleware).forRoutes('{*path}');
  }
}
