import '@orderflow/service-defaults/telemetry';
import { join } from 'node:path';
import { startMessaging } from '@orderflow/messaging';
import { runService } from '@orderflow/service-defaults';
import { AppModule, SERVICE } from './app.module';
import { GATEWAY_CONFIG_SPEC } from './gateway.config';
import { GatewayIoAdapter } from './socket/gateway-io.adapter';
import { RedisConnection } from './socket/redis-connection';
import { isEventStreamPath } from './sse/order-events.controller';

void runService({
  identity: SERVICE,
  module: AppModule,
  config: GATEWAY_CONFIG_SPEC,
  longLived: isEventStreamPath,
  configure: async (app, config) => {
    // The storefront page (tools/build.mjs copies apps/gateway/public next to src in dist).
    app.useStaticAssets(join(__dirname, '..', 'public'), { index: 'index.html', maxAge: 0 });
    const redis = await app.get(RedisConnection).connect();
    app.useWebSocketAdapter(
      new GatewayIoAdapter(app, {
        redis,
        connectTimeoutMs: config.SOCKET_AUTH_TIMEOUT_MS,
        streamName: config.SOCKET_IO_REDIS_STREAM,
        maxConnections: config.SOCKET_MAX_CONNECTIONS,
        recoveryMaxPackets: config.SOCKET_RECOVERY_MAX_PACKETS,
      }),
    );
    await startMessaging(app);
  },
});
