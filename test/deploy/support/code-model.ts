/*
 * What the deployment files must agree with, read from the code itself: the apps (each app's
 * `SERVICE` identity), the environment variables they read (the common spec plus any spec an app
 * passes to runService) and the Kafka topics (contracts' TOPICS plus one dead-letter topic per
 * consumer group, the group being the service name).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { deadLetterTopic, TOPICS } from '@orderflow/contracts';
import { commonConfigSpec, EnvSpec, loadConfig, ServiceIdentity } from '@orderflow/service-defaults';

export const ROOT = resolve(__dirname, '../../..');

export interface AppModel {
  identity: ServiceIdentity;
  spec: EnvSpec<Record<string, unknown>>;
  /**
   * Variables a deployment must set: those without a default when NODE_ENV=production, and those
   * whose default points at this machine (127.0.0.1), which is wrong inside a container.
   */
  mustSet: string[];
}

export function loadApps(): AppModel[] {
  return readdirSync(join(ROOT, 'apps'))
    .filter((dir) => existsSync(join(ROOT, 'apps', dir, 'src', 'app.module.ts')))
    .sort()
    .map((dir) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app is found at run time
      const { SERVICE } = require(join(ROOT, 'apps', dir, 'src', 'app.module')) as {
        SERVICE?: ServiceIdentity;
      };
      if (!SERVICE) throw new Error(`apps/${dir}/src/app.module.ts does not export SERVICE`);
      const spec = { ...commonConfigSpec(SERVICE), ...appConfigSpec(dir) } as EnvSpec<
        Record<string, unknown>
      >;
      return { identity: SERVICE, spec, mustSet: mustSet(spec) };
    });
}

/**
 * The extra spec an app passes as `config` to runService in its main.ts. main.ts cannot be imported
 * (it starts the app), so the spec must be imported into main.ts from a module; this reads which
 * identifier and module and loads it from there.
 */
function appConfigSpec(dir: string): EnvSpec<Record<string, unknown>> {
  const mainPath = join(ROOT, 'apps', dir, 'src', 'main.ts');
  const main = readFileSync(mainPath, 'utf8');
  const call = /runService\s*(?:<[^>]*>)?\s*\(\s*\{([\s\S]*?)\}\s*\)/.exec(main);
  if (!call) throw new Error(`apps/${dir}/src/main.ts does not call runService({ ... })`);
  const property = /(?:^|[\s,{])config\s*(?::\s*([A-Za-z_$][\w$]*))?\s*(?:,|$)/m.exec(call[1]);
  if (!property) return {};
  const identifier = property[1] ?? 'config';
  const source = new RegExp(`import\\s*\\{[^}]*\\b${identifier}\\b[^}]*\\}\\s*from\\s*'([^']+)'`).exec(main);
  if (!source) {
    throw new Error(
      `apps/${dir}/src/main.ts passes config: ${identifier} to runService; export it from a module and import it ` +
        'there, so that the deployment tests can read which variables the app needs',
    );
  }
  const modulePath = source[1].startsWith('.') ? join(dirname(mainPath), source[1]) : source[1];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is found at run time
  const exported = (require(modulePath) as Record<string, unknown>)[identifier];
  if (typeof exported !== 'object' || exported === null) {
    throw new Error(`apps/${dir}: ${identifier} from ${source[1]} is not an env spec object`);
  }
  return exported as EnvSpec<Record<string, unknown>>;
}

function mustSet(spec: EnvSpec<Record<string, unknown>>): string[] {
  return Object.keys(spec).filter((name) => {
    let fallback: unknown;
    try {
      fallback = spec[name].parse(undefined, name, { NODE_ENV: 'production' });
    } catch {
      return true; // no default in production
    }
    return /127\.0\.0\.1|localhost/.test(JSON.stringify(fallback ?? null));
  });
}

/** Parses the variables as the app would at start; throws the app's own InvalidConfigError. */
/** Variables the image's start command reads (Dockerfile CMD), not the app: its heap budget. */
export const LAUNCHER_VARIABLES = ['APP_HEAP_MB'];

/** The variables of `env` that neither the app nor the image's start command reads. */
export const unknownVariables = (app: AppModel, env: Record<string, string>) =>
  Object.keys(env).filter((variable) => !(variable in app.spec) && !LAUNCHER_VARIABLES.includes(variable));

export function validateEnv(app: AppModel, env: Record<string, string>): void {
  loadConfig(app.spec, env);
}

export function expectedTopics(apps: AppModel[]): string[] {
  return [...Object.values(TOPICS), ...apps.map((app) => deadLetterTopic(app.identity.name))].sort();
}
