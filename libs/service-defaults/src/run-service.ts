import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { EnvSpec, InvalidConfigError } from './config/env';
import { nodeRuntimeProblem } from './config/node-runtime';
import { CommonConfig, loadServiceConfig, ServiceIdentity } from './config/service-config';
import { HealthRegistry } from './health/health.registry';
import { ALWAYS_SERVED, shedLoad } from './http/load-shedding';
import { createRootLogger, PinoNestLogger } from './logging/logger';
import { startMetrics } from './metrics/metrics';
import { setServiceContext } from './service-context';
import { shutdownTelemetry } from './telemetry/telemetry-shutdown';

export interface RunServiceOptions<Extra> {
  identity: ServiceIdentity;
  module: Type<unknown>;
  /** The app's own environment variables, validated together with the common ones. */
  config?: EnvSpec<Extra>;
  /** Hook for app-specific set-up between creation and listen (e.g. a WebSocket adapter). */
  configure?: (app: NestExpressApplication, config: CommonConfig & Extra) => void | Promise<void>;
  /** Paths of requests that stay open (SSE streams): not counted by load shedding. */
  longLived?: (path: string) => boolean;
}

/**
 * Checks the Node version and loads config (or exits with one line naming what is wrong), then
 * boots and serves the app.
 */
export async function runService<Extra = object>(
  options: RunServiceOptions<Extra>,
): Promise<INestApplication> {
  const { identity } = options;
  const config = loadConfigOrExit(identity, options.config);
  setServiceContext(identity, config);
  const logger = createRootLogger(identity.name, config.LOG_LEVEL);
  startMetrics(identity.name);

  const app = await NestFactory.create<NestExpressApplication>(options.module, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  const longLived = options.longLived ?? (() => false);
  app.use(
    shedLoad({
      maxInFlight: config.HTTP_MAX_IN_FLIGHT,
      exempt: (path) => ALWAYS_SERVED(path) || longLived(path),
    }),
  );
  app.useBodyParser('json', { limit: '64kb', type: ['application/json', 'application/*+json'] });
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  await options.configure?.(app, config);
  installShutdown(app, config.SHUTDOWN_TIMEOUT_MS, logger);

  await app.listen(config.PORT, process.env.HOST ?? '0.0.0.0');
  logger.info({ port: config.PORT }, `${identity.name} listening on http://127.0.0.1:${config.PORT}`);
  return app;
}

function loadConfigOrExit<Extra>(identity: ServiceIdentity, extra?: EnvSpec<Extra>): CommonConfig & Extra {
  const runtimeProblem = nodeRuntimeProblem(process.version);
  if (runtimeProblem) {
    process.stderr.write(`[${identity.name}] ${runtimeProblem}\n`);
    process.exit(1);
  }
  try {
    return loadServiceConfig(identity, extra);
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    process.stderr.write(`[${identity.name}] ${error.message}\n`);
    process.exit(1);
  }
}

/**
 * SIGTERM/SIGINT: readiness turns false, Nest runs the modules' shutdown hooks (stop consuming,
 * finish in-flight work, flush the relay), then the process exits 0. A shutdown that takes longer
 * than SHUTDOWN_TIMEOUT_MS exits 1 instead of hanging.
 */
function installShutdown(
  app: INestApplication,
  timeoutMs: number,
  logger: ReturnType<typeof createRootLogger>,
) {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    app.get(HealthRegistry).markShuttingDown();
    setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    app
      .close()
      .then(() => shutdownTelemetry()) // flush the last spans before the process exits
      .then(() => {
        logger.info('shutdown complete');
        logger.flush?.();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
