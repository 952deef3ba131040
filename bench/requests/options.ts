import { parseArgs } from 'node:util';
import { nonNegative, positive, UsageError } from '../saga/options';
import { REQUEST_KINDS, RequestKind, requestKindsNamed } from './request-kinds';

export interface RequestBenchOptions {
  /** Requests per second, open loop. */
  rate: number;
  /** Measured seconds per request kind and round. */
  seconds: number;
  /** Unmeasured seconds at the same rate before each measurement (JIT, pool, plans). */
  warmupSeconds: number;
  /** Seconds with no requests before each measurement: the process' own idle rate is subtracted. */
  idleSeconds: number;
  /** The kinds are measured in turn, `rounds` times, so that a drifting machine shows as spread. */
  rounds: number;
  kinds: RequestKind[];
  connections: number;
  customers: number;
  outDir: string;
  logLevel: string;
}

const USAGE = `npm run bench:requests -- [options]
  --rate 200                 requests/s, open loop
  --seconds 15               measured seconds per kind and round
  --warmup-seconds 5         unmeasured seconds at the same rate before each measurement
  --idle-seconds 3           seconds without requests before each measurement (its CPU is subtracted)
  --rounds 2                 the kinds in turn, this many times
  --kinds ${REQUEST_KINDS.map((k) => k.name).join(',')}
  --connections 16           keep-alive HTTP connections
  --customers 50             customers (bearer tokens) the requests are spread over
  --out bench/results        where the JSON goes
  --log-level warn           LOG_LEVEL of order-service`;

export function parseOptions(argv: string[]): RequestBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '15' },
      'warmup-seconds': { type: 'string', default: '5' },
      'idle-seconds': { type: 'string', default: '3' },
      rounds: { type: 'string', default: '2' },
      kinds: { type: 'string', default: REQUEST_KINDS.map((k) => k.name).join(',') },
      connections: { type: 'string', default: '16' },
      customers: { type: 'string', default: '50' },
      out: { type: 'string', default: 'bench/results' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new UsageError(USAGE);
  let kinds: RequestKind[];
  try {
    kinds = requestKindsNamed(values.kinds.split(',').filter(Boolean));
  } catch (error) {
    throw new UsageError(`--kinds: ${(error as Error).message}\n${USAGE}`);
  }
  return {
    rate: positive('--rate', values.rate),
    seconds: positive('--seconds', values.seconds),
    warmupSeconds: nonNegative('--warmup-seconds', values['warmup-seconds']),
    idleSeconds: positive('--idle-seconds', values['idle-seconds']),
    rounds: positive('--rounds', values.rounds),
    kinds,
    connections: positive('--connections', values.connections),
    customers: positive('--customers', values.customers),
    outDir: values.out,
    logLevel: values['log-level'],
  };
}
