import { parseArgs } from 'node:util';
import { SAGA_SERVICES } from '@orderflow/testing';

export interface OrderMix {
  /** Shares of the arrival stream; they sum to 1. */
  success: number;
  declined: number;
  rejected: number;
}

export interface BenchOptions {
  /** Offered order rates (orders/s), stepped in this order until one is not sustainable. */
  rates: number[];
  stepSeconds: number;
  /** An unreported first step at the lowest rate: JIT, connection pools, consumer group joins. */
  warmupSeconds: number;
  /** The warm-up is repeated while the Kafka broker's JIT is still busy, up to this long in all. */
  warmupMaxSeconds: number;
  /** Customers, each with its own token and Socket.IO connection to the gateway. */
  customers: number;
  /** Keep-alive HTTP connections of the load generator (the client-side concurrency cap). */
  connections: number;
  mix: OrderMix;
  /** Share of POSTs sent with a new Idempotency-Key, as a storefront that retries safely sends them. */
  keyedShare: number;
  skus: number;
  /** Seconds after a step's last arrival within which every order of the step must be terminal. */
  drainSeconds: number;
  /** Which limits to measure: all of them, or none (the short form). */
  limits: 'all' | 'none';
  limitSeconds: number;
  pgClients: number;
  /** Keep stepping past the first unsustainable rate (for exploring). */
  keepGoing: boolean;
  outDir: string;
  logLevel: string;
  /** Apps to run with `--cpu-prof` (profiles in <out>/profiles, written when they stop). */
  cpuProf: string[];
  /** Extra environment per app (`--app-env order-service:KAFKA_PARTITIONS_CONCURRENTLY=2`), for tuning. */
  appEnv: Record<string, Record<string, string>>;
  /** Instances per service (`--replicas order-service=2`); every other app runs one. */
  replicas: Record<string, number>;
  /** Services whose outbox relay runs in an instance of its own (OUTBOX_RELAY=only; the others off). */
  relayProcess: string[];
}

/**
 * Two order-service instances by default, as deployed (deploy/k8s runs two of every app): it is
 * the one app whose event loop saturates on this box (HTTP, its relay carrying 5 of the 7.8
 * messages per order, and its consumer share one loop), while the others' loops are 30–45 % busy
 * at 150 orders/s (docs/performance.md, eighth pass).
 */
export const DEFAULT_REPLICAS: Record<string, number> = { 'order-service': 2 };

const USAGE = `npm run bench -- [options]
  --rates 100,250,500,750,1000   offered orders/s per step (open loop)
  --step-seconds 20              duration of each step
  --warmup-seconds 10            unjudged warm-up at the first rate before the steps (0: none)
  --warmup-max-seconds 240       repeat the warm-up while the Kafka broker's JIT compiler is busy, up to this long
  --customers 200                customers, each holding a Socket.IO connection
  --connections 64               keep-alive HTTP connections of the load generator
  --mix 90/5/5                   success / declined (tok_declined) / rejected (unknown SKU), percent
  --keyed-percent 0              percent of POSTs sent with a new Idempotency-Key
  --skus 1000                    catalog size seeded before the run
  --drain-seconds 30             every order of a step must be terminal this long after its last arrival
  --limits all|none              measure the machine's limits (pgbench, Postgres round trip, Kafka floor, HTTP ceiling)
  --limit-seconds 10             duration of each limit measurement
  --pg-clients 32                pgbench clients
  --keep-going                   do not stop at the first unsustainable step
  --out bench/results            where the JSON and SVG go
  --log-level warn               LOG_LEVEL of the apps
  --cpu-prof order-service,...   run these apps with node --cpu-prof (profiles in <out>/profiles)
  --app-env APP:NAME=VALUE       extra environment for one app (repeatable), e.g. for tuning
  --replicas APP=N               instances of a service (repeatable; default order-service=2, others 1)
  --relay-process SERVICE,...    run these services' outbox relays in an extra instance of their own
                                 (OUTBOX_RELAY=only; the --replicas that serve HTTP and consume get off); default none`;

export function parseOptions(argv: string[]): BenchOptions {
  const values = parseFlags(argv);
  if (values.help) throw new UsageError(USAGE);
  const limits = values.limits;
  if (limits !== 'all' && limits !== 'none') throw new UsageError(`--limits must be all or none\n${USAGE}`);
  return {
    rates: values.rates.split(',').map((rate) => positive('--rates', rate)),
    stepSeconds: positive('--step-seconds', values['step-seconds']),
    warmupSeconds: nonNegative('--warmup-seconds', values['warmup-seconds']),
    warmupMaxSeconds: nonNegative('--warmup-max-seconds', values['warmup-max-seconds']),
    customers: positive('--customers', values.customers),
    connections: positive('--connections', values.connections),
    mix: parseMix(values.mix),
    keyedShare: parsePercent('--keyed-percent', values['keyed-percent']),
    skus: positive('--skus', values.skus),
    drainSeconds: positive('--drain-seconds', values['drain-seconds']),
    limits,
    limitSeconds: positive('--limit-seconds', values['limit-seconds']),
    pgClients: positive('--pg-clients', values['pg-clients']),
    keepGoing: values['keep-going'],
    outDir: values.out,
    logLevel: values['log-level'],
    cpuProf: values['cpu-prof'].split(',').filter(Boolean),
    appEnv: parseAppEnv(values['app-env']),
    replicas: parseReplicas(values.replicas),
    relayProcess: parseRelayProcess(values['relay-process']),
  };
}

function parseAppEnv(entries: string[]): Record<string, Record<string, string>> {
  const appEnv: Record<string, Record<string, string>> = {};
  for (const entry of entries) {
    const match = /^([a-z-]+):([A-Z][A-Z0-9_]*)=(.*)$/.exec(entry);
    if (!match) throw new UsageError(`--app-env: expected APP:NAME=VALUE, got "${entry}"\n${USAGE}`);
    const [, app, name, value] = match;
    appEnv[app] = { ...appEnv[app], [name]: value };
  }
  return appEnv;
}

function parseRelayProcess(list: string): string[] {
  if (list === 'none') return [];
  const services = list.split(',').filter(Boolean);
  for (const service of services)
    if (!(SAGA_SERVICES as readonly string[]).includes(service))
      throw new UsageError(`--relay-process: ${service} is not one of ${SAGA_SERVICES.join(', ')} (or none)`);
  return services;
}

function parseReplicas(entries: string[]): Record<string, number> {
  const replicas = { ...DEFAULT_REPLICAS };
  for (const entry of entries) {
    const match = /^([a-z-]+-service)=([1-9]\d*)$/.exec(entry);
    if (!match) throw new UsageError(`--replicas: expected SERVICE=N (N ≥ 1), got "${entry}"\n${USAGE}`);
    if (!(SAGA_SERVICES as readonly string[]).includes(match[1]))
      throw new UsageError(`--replicas: ${match[1]} is not one of ${SAGA_SERVICES.join(', ')}`);
    replicas[match[1]] = Number(match[2]);
  }
  return replicas;
}

export class UsageError extends Error {}

export function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${name}: expected a positive number, got "${text}"`);
  return value;
}

export function nonNegative(name: string, text: string): number {
  return text === '0' ? 0 : positive(name, text);
}

function parsePercent(name: string, text: string): number {
  const value = nonNegative(name, text);
  if (value > 100) throw new UsageError(`${name}: expected a percentage from 0 to 100, got "${text}"`);
  return value / 100;
}

function parseMix(text: string): OrderMix {
  const parts = text.split('/').map(Number);
  const total = parts.reduce((a, b) => a + b, 0);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || total <= 0)
    throw new UsageError(`--mix: expected success/declined/rejected percentages, got "${text}"`);
  return { success: parts[0] / total, declined: parts[1] / total, rejected: parts[2] / total };
}

/** The command line's flags; a flag that is unknown or lacks its value is a usage error, not a crash. */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        rates: { type: 'string', default: '100,250,500,750,1000' },
        'step-seconds': { type: 'string', default: '20' },
        'warmup-seconds': { type: 'string', default: '10' },
        'warmup-max-seconds': { type: 'string', default: '240' },
        customers: { type: 'string', default: '200' },
        connections: { type: 'string', default: '64' },
        mix: { type: 'string', default: '90/5/5' },
        'keyed-percent': { type: 'string', default: '0' },
        skus: { type: 'string', default: '1000' },
        'drain-seconds': { type: 'string', default: '30' },
        limits: { type: 'string', default: 'all' },
        'limit-seconds': { type: 'string', default: '10' },
        'pg-clients': { type: 'string', default: '32' },
        'keep-going': { type: 'boolean', default: false },
        out: { type: 'string', default: 'bench/results' },
        'log-level': { type: 'string', default: 'warn' },
        'cpu-prof': { type: 'string', default: '' },
        'app-env': { type: 'string', multiple: true, default: [] },
        replicas: { type: 'string', multiple: true, default: [] },
        // Relays run inside their services' instances, as deployed; a relay-only order-service
        // instance was measured slower on this two-core box (docs/adr/0052-*).
        'relay-process': { type: 'string', default: 'none' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}
