/*
 * deploy/k8s cannot be applied here (no cluster), so its rendered overlays are checked: against the
 * Kubernetes and operator schemas, and against the code (apps, ports, databases, env variables,
 * topics). Rendering uses support/kustomize.ts, the subset of kustomize the manifests use.
 */
import { join } from 'node:path';
import { APP_HEAP_MB } from '@orderflow/testing';
import {
  AppModel,
  expectedTopics,
  loadApps,
  ROOT,
  unknownVariables,
  validateEnv,
} from './support/code-model';
import { validateResource } from './support/k8s-validate';
import { K8sResource, renderKustomization, resourceId } from './support/kustomize';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML */
type Manifest = K8sResource & {
  spec: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

const K8S = join(ROOT, 'deploy', 'k8s');
const apps = loadApps();
const overlays = ['dev', 'prod'] as const;
const rendered = Object.fromEntries(
  overlays.map((overlay) => [overlay, renderKustomization(join(K8S, 'overlays', overlay)) as Manifest[]]),
) as Record<(typeof overlays)[number], Manifest[]>;

const ofKind = (resources: Manifest[], kind: string) =>
  resources.filter((resource) => resource.kind === kind);
const named = (resources: Manifest[], kind: string, name: string) => {
  const found = resources.find((resource) => resource.kind === kind && resource.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const matches = (selector: Record<string, string> = {}, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The app's container environment, resolved from values, the ConfigMap and (dev) the Secrets. In
 * prod the Secrets come from ExternalSecrets: their values are templates, shown as `<external>`. */
function resolveEnv(resources: Manifest[], container: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    Object.assign(env, named(resources, 'ConfigMap', source.configMapRef.name).data);
  }
  for (const variable of container.env ?? []) {
    const secretRef = variable.valueFrom?.secretKeyRef;
    env[variable.name] = secretRef ? secretValue(resources, secretRef.name, secretRef.key) : variable.value;
  }
  return env;
}

function secretValue(resources: Manifest[], name: string, key: string): string {
  const secret = resources.find((resource) => resource.kind === 'Secret' && resource.metadata.name === name);
  if (secret) {
    const value = secret.stringData?.[key];
    if (value === undefined) throw new Error(`Secret ${name} has no ${key}`);
    return value;
  }
  const external = ofKind(resources, 'ExternalSecret').find((resource) => resource.spec.target.name === name);
  if (!external) throw new Error(`neither a Secret nor an ExternalSecret provides ${name}`);
  const templated = external.spec.target.template?.data?.[key];
  const fetched = external.spec.data?.some((entry: any) => entry.secretKey === key);
  if (templated === undefined && !fetched) throw new Error(`ExternalSecret for ${name} provides no ${key}`);
  return templated ?? '<external>';
}

function appContainer(resources: Manifest[], app: AppModel) {
  const deployment = named(resources, 'Deployment', app.identity.name);
  const containers = deployment.spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  return { deployment, container: containers[0] };
}

describe('deploy/k8s renders and validates', () => {
  it.each(['base', 'overlays/dev', 'overlays/prod'])(
    '%s: every resource is valid against its schema',
    (dir) => {
      const resources = renderKustomization(join(K8S, dir));
      expect(resources.length).toBeGreaterThan(30);
      const problems = resources.flatMap((resource) =>
        validateResource(resource).map((problem) => `${resourceId(resource)}: ${problem}`),
      );
      expect(problems).toEqual([]);
      const ids = resources.map(resourceId);
      expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
    },
  );

  it('the validators reject broken resources, so the check above can fail', () => {
    const [deployment] = ofKind(rendered.dev, 'Deployment');
    const badPort = structuredClone(deployment);
    badPort.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(validateResource(badPort)).not.toEqual([]);

    const [topic] = ofKind(rendered.dev, 'KafkaTopic');
    const typo = structuredClone(topic);
    typo.spec.partition = typo.spec.partitions;
    expect(validateResource(typo)).not.toEqual([]);

    const [cluster] = ofKind(rendered.dev, 'Cluster');
    const noInstances = structuredClone(cluster);
    delete noInstances.spec.instances;
    expect(validateResource(noInstances)).not.toEqual([]);

    expect(
      validateResource({ apiVersion: 'example.com/v1', kind: 'Unknown', metadata: { name: 'x' } }),
    ).toEqual(['no schema for example.com/v1/Unknown']);
  });

  it.each(overlays)('%s: everything namespaced lands in the overlay namespace', (overlay) => {
    const [namespace] = ofKind(rendered[overlay], 'Namespace');
    for (const resource of rendered[overlay].filter((r) => r.kind !== 'Namespace')) {
      expect({ id: resourceId(resource), ns: resource.metadata.namespace }).toEqual({
        id: resourceId(resource),
        ns: namespace.metadata.name,
      });
    }
  });
});

describe.each(overlays)('deploy/k8s overlay %s agrees with the code', (overlay) => {
  const resources = rendered[overlay];
  const kafka = ofKind(resources, 'Kafka')[0];

  it('has exactly one Deployment, Service, HPA, PDB and NetworkPolicy per app', () => {
    const appDeployments = ofKind(resources, 'Deployment').filter(
      (deployment) => deployment.metadata.labels?.['app.kubernetes.io/component'] === 'app',
    );
    expect(appDeployments.map((d) => d.metadata.name).sort()).toEqual(
      apps.map((app) => app.identity.name).sort(),
    );
    for (const app of apps) {
      for (const kind of ['Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']) {
        expect(() => named(resources, kind, app.identity.name)).not.toThrow();
      }
    }
  });

  it.each(apps.map((app) => [app.identity.name, app] as const))(
    '%s: port, probes, resources, service',
    (_, app) => {
      const { deployment, container } = appContainer(resources, app);
      const podLabels = deployment.spec.template.metadata.labels;
      const port = app.identity.defaultPort;
      expect(container.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      expect(container.resources.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
      expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.image).toMatch(new RegExp(`(^|/)orderflow/${app.identity.name}:[\\w.-]+$`));

      const service = named(resources, 'Service', app.identity.name);
      expect(matches(service.spec.selector, podLabels)).toBe(true);
      expect(service.spec.ports).toEqual([{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }]);

      const hpa = named(resources, 'HorizontalPodAutoscaler', app.identity.name);
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: app.identity.name,
      });
      expect(
        matches(
          named(resources, 'PodDisruptionBudget', app.identity.name).spec.selector.matchLabels,
          podLabels,
        ),
      ).toBe(true);
    },
  );

  it.each(apps.map((app) => [app.identity.name, app] as const))('%s: environment and database', (_, app) => {
    const { container } = appContainer(resources, app);
    const env = resolveEnv(resources, container);
    expect(unknownVariables(app, env)).toEqual([]);
    // The image's default heap budget, or the gateway's larger one (libs/testing APP_HEAP_MB).
    expect(env.APP_HEAP_MB).toBe(app.identity.name === 'gateway' ? String(APP_HEAP_MB.gateway) : undefined);
    expect(app.mustSet.filter((variable) => !(variable in env))).toEqual([]);
    expect(env.PORT).toBe(String(app.identity.defaultPort));
    expect(env.NODE_ENV).toBe('production');
    if (overlay === 'dev') expect(() => validateEnv(app, env)).not.toThrow();

    // DATABASE_URL points at the CloudNativePG cluster that bootstraps this app's database with
    // the credentials from the same Secret.
    const databaseRef = container.env.find((variable: any) => variable.name === 'DATABASE_URL').valueFrom
      .secretKeyRef;
    const cluster = ofKind(resources, 'Cluster').find(
      (candidate) => candidate.spec.bootstrap.initdb.database === app.identity.database,
    );
    expect(cluster).toBeDefined();
    expect(cluster!.spec.bootstrap.initdb.secret.name).toBe(databaseRef.name);
    const url = new URL(env.DATABASE_URL.replace(/\{\{[^}]*\}\}/g, 'templated'));
    expect({ host: url.host, database: url.pathname, user: url.username }).toEqual({
      host: `${cluster!.metadata.name}-rw:5432`,
      database: `/${app.identity.database}`,
      user: cluster!.spec.bootstrap.initdb.owner,
    });
    expect(secretValue(resources, databaseRef.name, 'username')).toBe(cluster!.spec.bootstrap.initdb.owner);

    // Kafka: the Strimzi cluster's bootstrap service and plain listener.
    const listener = kafka.spec.kafka.listeners.find((candidate: any) => candidate.tls === false);
    expect(env.KAFKA_BROKERS).toBe(`${kafka.metadata.name}-kafka-bootstrap:${listener.port}`);

    // URLs of other apps use their Service and port.
    for (const value of Object.values(env).filter((v) => /^https?:\/\//.test(v))) {
      const target = apps.find((candidate) => candidate.identity.name === new URL(value).hostname);
      if (target) expect(Number(new URL(value).port)).toBe(target.identity.defaultPort);
    }
  });

  it.each(apps.map((app) => [app.identity.name, app] as const))(
    '%s: network policy allows Kafka, its own database, the collector, DNS and nothing else',
    (_, app) => {
      const { deployment, container } = appContainer(resources, app);
      const env = resolveEnv(resources, container);
      const policy = named(resources, 'NetworkPolicy', app.identity.name);
      expect(matches(policy.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels)).toBe(
        true,
      );
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);

      const cluster = ofKind(resources, 'Cluster').find(
        (c) => c.spec.bootstrap.initdb.database === app.identity.database,
      )!;
      const allowed: Array<{ peer: Record<string, string>; port: number }> = [
        { peer: { 'strimzi.io/cluster': kafka.metadata.name, 'strimzi.io/broker-role': 'true' }, port: 9092 },
        { peer: { 'cnpg.io/cluster': cluster.metadata.name }, port: 5432 },
        {
          peer: { 'app.kubernetes.io/name': 'otel-collector' },
          port: Number(new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT).port),
        },
        { peer: { 'k8s-app': 'kube-dns' }, port: 53 },
      ];
      // Services the app is configured to call (REDIS_URL, the gateway's proxy targets).
      for (const value of Object.values(env).filter((v) => /^(https?|redis):\/\//.test(v))) {
        const url = new URL(value);
        if (ofKind(resources, 'Service').some((service) => service.metadata.name === url.hostname)) {
          allowed.push({ peer: { 'app.kubernetes.io/name': url.hostname }, port: Number(url.port) });
        }
      }
      const egress = policy.spec.egress.flatMap((rule: any) =>
        rule.to.flatMap((peer: any) =>
          rule.ports.map((port: any) => ({ peer: peer.podSelector.matchLabels, port: port.port })),
        ),
      );
      const key = (entry: { peer: Record<string, string>; port: number }) => JSON.stringify(entry);
      expect([...new Set(egress.map(key))].sort()).toEqual([...new Set(allowed.map(key))].sort());
    },
  );

  it('defines every topic from the contracts (and a DLQ per consumer group) as a Strimzi KafkaTopic', () => {
    const topics = ofKind(resources, 'KafkaTopic');
    expect(topics.map((topic) => topic.spec.topicName ?? topic.metadata.name).sort()).toEqual(
      expectedTopics(apps),
    );
    for (const topic of topics) {
      expect(topic.metadata.labels?.['strimzi.io/cluster']).toBe(kafka.metadata.name);
      expect(topic.spec).toMatchObject({ partitions: 6, replicas: 3, config: { 'min.insync.replicas': 2 } });
    }
  });

  it('runs a KRaft Kafka cluster with enough brokers for replication 3', () => {
    const pools = ofKind(resources, 'KafkaNodePool');
    for (const pool of pools) expect(pool.metadata.labels?.['strimzi.io/cluster']).toBe(kafka.metadata.name);
    const count = (role: string) =>
      pools
        .filter((pool) => pool.spec.roles.includes(role))
        .reduce((sum, pool) => sum + pool.spec.replicas, 0);
    expect(count('broker')).toBeGreaterThanOrEqual(3);
    expect(count('controller') % 2).toBe(1);
    expect(kafka.spec.kafka.config).toMatchObject({
      'auto.create.topics.enable': false,
      'min.insync.replicas': 2,
    });
  });

  it('routes the ingress to existing Services', () => {
    for (const ingress of ofKind(resources, 'Ingress')) {
      for (const rule of ingress.spec.rules) {
        for (const path of rule.http.paths) {
          const service = named(resources, 'Service', path.backend.service.name);
          expect(service.spec.ports.map((port: any) => port.name)).toContain(path.backend.service.port.name);
        }
      }
    }
  });
});

describe('deploy/k8s prod overlay', () => {
  it('ships no Secret values: every referenced Secret comes from an ExternalSecret', () => {
    const resources = rendered.prod;
    expect(ofKind(resources, 'Secret')).toEqual([]);
    const provided = ofKind(resources, 'ExternalSecret').map((external) => external.spec.target.name);
    const referenced = [
      ...ofKind(resources, 'Deployment').flatMap((deployment) =>
        deployment.spec.template.spec.containers.flatMap((container: any) =>
          (container.env ?? [])
            .map((variable: any) => variable.valueFrom?.secretKeyRef?.name)
            .filter(Boolean),
        ),
      ),
      ...ofKind(resources, 'Cluster').map((cluster) => cluster.spec.bootstrap.initdb.secret.name),
    ];
    expect([...new Set(referenced)].filter((name) => !provided.includes(name))).toEqual([]);
  });

  it('pins app images to a registry and a version, and runs three Postgres instances per service', () => {
    for (const deployment of ofKind(rendered.prod, 'Deployment').filter((d) => d.metadata.name !== 'redis')) {
      expect(deployment.spec.template.spec.containers[0].image).toMatch(
        /^[\w.-]+\/orderflow\/[\w-]+:\d+\.\d+\.\d+$/,
      );
    }
    for (const cluster of ofKind(rendered.prod, 'Cluster')) expect(cluster.spec.instances).toBe(3);
  });
});
