import { DEV_JWT_SECRET } from '@orderflow/service-defaults';

/** Values of E2E_TARGET: the end-to-end suite talks to an already-running stack instead of starting one. */
export const EXTERNAL_TARGETS = ['compose', 'external'] as const;
export type ExternalTargetKind = (typeof EXTERNAL_TARGETS)[number];

/** An already-running stack, as described by the environment (see docs/deploying.md). */
export interface ExternalTarget {
  kind: ExternalTargetKind;
  /** App name (`order-service`) → base URL, from `E2E_<APP>_URL`. */
  urls: Record<string, string>;
  /** App name → its database, from `E2E_<APP>_DATABASE_URL` or DATABASE_URL (compose names). */
  databaseUrls: Record<string, string>;
  /** The secret the apps verify tokens with (JWT_SECRET; the apps' development default without it). */
  jwtSecret: string;
  /** Prefix of the stack's topics and consumer groups (E2E_TOPIC_PREFIX, none by default). */
  topicPrefix: string;
}

/** Every variable the harness reads in external mode, besides the per-app `E2E_<APP>_…` ones. */
export const EXTERNAL_TARGET_VARIABLES = [
  'E2E_TARGET',
  'E2E_TOPIC_PREFIX',
  'DATABASE_URL',
  'JWT_SECRET',
  'KAFKA_BROKERS',
  'CHROMIUM_PATH',
] as const;

/** `order-service` → `E2E_ORDER_SERVICE_URL` (or `…_DATABASE_URL` with `kind` 'DATABASE_URL'). */
export function e2eVariable(app: string, kind: 'URL' | 'DATABASE_URL' = 'URL'): string {
  return `E2E_${app.toUpperCase().replace(/-/g, '_')}_${kind}`;
}

/** The database docker-compose (deploy/postgres/create-databases.sh) gives an app: `orderflow_order`, … */
export function composeDatabaseName(app: string): string {
  return `orderflow_${app.replace(/-service$/, '')}`;
}

/** The external target E2E_TARGET names, or undefined when the suite starts the apps itself. */
export function externalTargetFromEnv(env: NodeJS.ProcessEnv = process.env): ExternalTarget | undefined {
  const kind = env.E2E_TARGET?.trim();
  if (!kind) return undefined;
  if (!(EXTERNAL_TARGETS as readonly string[]).includes(kind))
    throw new Error(
      `E2E_TARGET=${kind}: expected ${EXTERNAL_TARGETS.join(' or ')} (or unset to start the apps)`,
    );
  const urls = appUrls(env);
  if (Object.keys(urls).length === 0)
    throw new Error(
      `E2E_TARGET=${kind} but no E2E_<APP>_URL is set (e.g. E2E_ORDER_SERVICE_URL=http://127.0.0.1:3001)`,
    );
  const databaseUrls: Record<string, string> = {};
  for (const app of Object.keys(urls)) {
    const url =
      env[e2eVariable(app, 'DATABASE_URL')] ?? withDatabase(env.DATABASE_URL, composeDatabaseName(app));
    if (url) databaseUrls[app] = url;
  }
  return {
    kind: kind as ExternalTargetKind,
    urls,
    databaseUrls,
    jwtSecret: env.JWT_SECRET || DEV_JWT_SECRET,
    topicPrefix: env.E2E_TOPIC_PREFIX ?? '',
  };
}

function appUrls(env: NodeJS.ProcessEnv): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [variable, value] of Object.entries(env)) {
    const match = /^E2E_([A-Z0-9_]+)_URL$/.exec(variable);
    if (!match || match[1].endsWith('_DATABASE') || !value) continue;
    const url = new URL(value); // throws on a malformed URL, naming it
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`${variable}=${value}: expected an http(s) URL`);
    urls[match[1].toLowerCase().replace(/_/g, '-')] = value.replace(/\/+$/, '');
  }
  return urls;
}

function withDatabase(serverUrl: string | undefined, database: string): string | undefined {
  if (!serverUrl) return undefined;
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
