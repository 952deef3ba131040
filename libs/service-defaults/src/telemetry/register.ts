/**
 * Side-effect entry point: `import '@orderflow/service-defaults/telemetry';` as the FIRST line of
 * an app's main.ts, so instrumentation hooks are in place before any instrumented module loads.
 * OTEL_SDK_DISABLED=true turns it off.
 */
import { startTelemetry } from './telemetry-sdk';

startTelemetry();
