import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

let exporter: PrometheusExporter | undefined;

/**
 * Metrics are recorded with the OpenTelemetry API and read out in Prometheus text format at
 * GET /metrics, from the app's own HTTP server (no second port).
 */
export function startMetrics(service: string): PrometheusExporter {
  if (exporter) return exporter;
  exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [exporter],
  });
  metrics.setGlobalMeterProvider(provider);
  return exporter;
}

export function metricsExporter(): PrometheusExporter {
  if (!exporter) throw new Error('startMetrics() has not run');
  return exporter;
}

/** The meter every module records with. */
export const meter = () => metrics.getMeter('orderflow');
