import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

let exporter: PrometheusExporter | undefined;
let providerInstalled = false;

/**
 * The one Prometheus reader of the process. The telemetry bootstrap hands it to the OpenTelemetry
 * SDK's MeterProvider; without that bootstrap (unit tests, tools) `startMetrics` makes its own.
 */
export function prometheusReader(): PrometheusExporter {
  exporter ??= new PrometheusExporter({ preventServerStart: true });
  return exporter;
}

/** Called by the telemetry bootstrap once the SDK registered a MeterProvider reading `prometheusReader()`. */
export function markMeterProviderInstalled(): void {
  providerInstalled = true;
}

/**
 * Metrics are recorded with the OpenTelemetry API and read out in Prometheus text format at
 * GET /metrics, from the app's own HTTP server (no second port).
 */
export function startMetrics(service: string): PrometheusExporter {
  const reader = prometheusReader();
  if (providerInstalled) return reader;
  providerInstalled = true;
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [reader],
  });
  metrics.setGlobalMeterProvider(provider);
  return reader;
}

export function metricsExporter(): PrometheusExporter {
  if (!providerInstalled || !exporter) throw new Error('startMetrics() has not run');
  return exporter;
}

/** The meter every module records with. */
export const meter = () => metrics.getMeter('orderflow');
