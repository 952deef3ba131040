import { basename, dirname } from 'node:path';

/**
 * The service name for telemetry, known before any app code loads: `OTEL_SERVICE_NAME`, else the
 * app folder of the main script (`dist/apps/<name>/src/main.js` or `apps/<name>/src/main.ts`).
 */
export function resolveServiceName(
  env: NodeJS.ProcessEnv = process.env,
  mainScript: string | undefined = process.argv[1],
): string {
  const configured = env.OTEL_SERVICE_NAME?.trim();
  if (configured) return configured;
  if (mainScript) {
    const srcDir = dirname(mainScript);
    const appDir = dirname(srcDir);
    if (basename(srcDir) === 'src' && basename(dirname(appDir)) === 'apps') return basename(appDir);
  }
  return 'unknown_service:node';
}
