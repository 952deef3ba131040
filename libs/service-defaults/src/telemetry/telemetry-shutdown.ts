let shutdown: (() => Promise<void>) | undefined;

/** Set by the telemetry bootstrap; kept apart from it so importing this does not load the SDK. */
export function setTelemetryShutdown(fn: () => Promise<void>): void {
  shutdown = fn;
}

/** Flushes pending spans and stops the SDK (no-op without the bootstrap). Call before exiting. */
export async function shutdownTelemetry(): Promise<void> {
  const pending = shutdown;
  shutdown = undefined;
  await pending?.();
}
