import type { IncomingMessage } from 'node:http';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { SocketIoInstrumentation } from '@opentelemetry/instrumentation-socket.io';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { OPERATIONAL_PATHS, underPathPrefixes } from '../http/path-prefixes';
import { markMeterProviderInstalled, prometheusReader } from '../metrics/metrics';
import { resolveServiceName } from './service-name';
import { setTelemetryShutdown } from './telemetry-shutdown';

/** Probes and scrapes: never traced, so they cannot flood the trace store with root spans. */
export const isUntracedPath = underPathPrefixes([...OPERATIONAL_PATHS, '/favicon.ico']);

let sdk: NodeSDK | undefined;

export interface TelemetryStatus {
  serviceName: string;
  /** True when spans leave the process (OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  exporting: boolean;
}

/**
 * Starts the OpenTelemetry SDK: must run before express, pg, socket.io and Nest are loaded, which
 * is why apps import `@orderflow/service-defaults/telemetry` as their first line.
 *
 * - Traces: exported over OTLP (per the standard OTEL_EXPORTER_OTLP_* variables) only when
 *   OTEL_EXPORTER_OTLP_ENDPOINT is set. Otherwise spans are not sampled: not recorded, but they
 *   still have ids (so logs carry trace ids and trace context still propagates through Kafka).
 * - Metrics: one MeterProvider whose reader serves GET /metrics, with the runtime's own: event
 *   loop delay and utilization, GC pauses, heap spaces. On a busy box the event loop's delay is
 *   where an in-process relay's or consumer's latency builds up (docs/performance.md).
 * - Kafka spans are made by the messaging lib itself (see messaging-tracing.ts), because the relay
 *   publishes rows written earlier, under the trace context stored with each row.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): TelemetryStatus {
  const serviceName = resolveServiceName(env);
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
  if (sdk) return { serviceName, exporting };
  if (env.OTEL_LOG_LEVEL === undefined) diag.setLogger(stderrDiagLogger(serviceName), DiagLogLevel.WARN);
  sdk = new NodeSDK({
    serviceName,
    // Undefined: the SDK builds the OTLP exporter from the environment (protocol, headers, ...).
    spanProcessors: exporting ? undefined : [new NoopSpanProcessor()],
    // Nothing leaves the process: spans are not recorded (no attributes, events or timings kept per
    // query and message), yet each still gets ids, so logs carry trace ids and context propagates.
    sampler: exporting ? undefined : new AlwaysOffSampler(),
    metricReaders: [prometheusReader()],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => isUntracedPath(req.url),
        requireParentforOutgoingSpans: true,
      }),
      new NestInstrumentation(),
      // Relay polls, LISTEN, health checks and pool housekeeping run outside any request or event.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      new SocketIoInstrumentation(),
      new RuntimeNodeInstrumentation({ monitoringPrecision: 10 }),
    ],
  });
  sdk.start();
  markMeterProviderInstalled();
  const started = sdk;
  setTelemetryShutdown(() => started.shutdown());
  return { serviceName, exporting };
}

function describe(value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}

/** SDK diagnostics (e.g. "OTLP export failed") as one JSON line on stderr, like the app's logs. */
function stderrDiagLogger(service: string) {
  const write =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      const line = {
        level,
        time: new Date().toISOString(),
        service,
        context: 'opentelemetry',
        msg: message,
        args: args.map(describe),
      };
      process.stderr.write(`${JSON.stringify(line)}\n`);
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    verbose: write('trace'),
  };
}
