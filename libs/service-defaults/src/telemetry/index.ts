// API-only helpers (no SDK): safe to import anywhere, including unit tests. The SDK bootstrap is
// the separate side-effect entry `@orderflow/service-defaults/telemetry` (register.ts).
export * from './messaging-tracing';
export * from './messaging-metrics';
export { shutdownTelemetry } from './telemetry-shutdown';
