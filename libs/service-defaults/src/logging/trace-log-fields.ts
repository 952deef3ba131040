import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { activeOrderId } from '../telemetry/messaging-tracing';

/**
 * Log-line fields of the current async context: `trace_id` and `span_id` of the active span (so a
 * log line leads to its trace) and `order_id` when the code runs for one order (event handlers).
 */
export function traceLogFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const ctx = context.active();
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext && isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const orderId = activeOrderId(ctx);
  if (orderId) fields.order_id = orderId;
  return fields;
}
