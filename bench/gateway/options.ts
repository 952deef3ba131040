import { parseArgs } from 'node:util';
import { UsageError } from '../saga/options';

export interface GatewayBenchOptions {
  /** Connected sockets per step, cumulative: each step adds sockets to reach the next count. */
  sockets: number[];
  /** Sockets sharing one customer (and so receiving the same pushes). */
  socketsPerCustomer: number;
  /** Connections opened at once, then awaited, before the next wave (no SYN storm). */
  wave: number;
  /** `OrderStatusChanged` events published per second during each step's push phase. */
  rate: number;
  pushSeconds: number;
  /** How long after the last publish every push must have arrived. */
  drainSeconds: number;
  /** The RSS budget of one gateway instance; stepping stops once it is exceeded. */
  budgetMb: number;
  /** The gateway's V8 heap budget (APP_HEAP_MB); above the RSS budget, so memory is what is measured. */
  heapMb: number;
  /** Use the Redis Streams adapter (REDIS_URL) instead of the in-memory one. */
  redis: string | undefined;
  outDir: string;
  logLevel: string;
}

const USAGE = `npm run bench:gateway -- [options]
  --sockets 1000,2500,5000,10000  connected sockets per step (cumulative)
  --sockets-per-customer 1        sockets sharing one customer (each gets that customer's pushes)
  --wave 250                      connections opened at once before waiting for them
  --rate 200                      OrderStatusChanged events published per second in each step
  --push-seconds 5                duration of each step's push phase
  --drain-seconds 15              every push must arrive this long after the last publish
  --budget-mb 1024                gateway RSS budget; stepping stops above it
  --heap-mb 1536                  the gateway's V8 heap budget (APP_HEAP_MB; deployed: 384)
  --redis redis://127.0.0.1:6379  run the gateway with the Redis Streams adapter (default: in-memory)
  --out bench/results             where the JSON goes
  --log-level warn                LOG_LEVEL of the gateway`;

export function parseOptions(argv: string[]): GatewayBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sockets: { type: 'string', default: '1000,2500,5000,10000' },
      'sockets-per-customer': { type: 'string', default: '1' },
      wave: { type: 'string', default: '250' },
      rate: { type: 'string', default: '200' },
      'push-seconds': { type: 'string', default: '5' },
      'drain-seconds': { type: 'string', default: '15' },
      'budget-mb': { type: 'string', default: '1024' },
      'heap-mb': { type: 'string', default: '1536' },
      redis: { type: 'string' },
      out: { type: 'string', default: 'bench/results' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new UsageError(USAGE);
  const sockets = values.sockets.split(',').map((n) => positive('--sockets', n));
  if (sockets.some((n, i) => i > 0 && n <= sockets[i - 1]))
    throw new UsageError(`--sockets must increase: ${values.sockets}\n${USAGE}`);
  return {
    sockets,
    socketsPerCustomer: positive('--sockets-per-customer', values['sockets-per-customer']),
    wave: positive('--wave', values.wave),
    rate: positive('--rate', values.rate),
    pushSeconds: positive('--push-seconds', values['push-seconds']),
    drainSeconds: positive('--drain-seconds', values['drain-seconds']),
    budgetMb: positive('--budget-mb', values['budget-mb']),
    heapMb: positive('--heap-mb', values['heap-mb']),
    redis: values.redis,
    outDir: values.out,
    logLevel: values['log-level'],
  };
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new UsageError(`${name}: expected a positive integer, got "${text}"`);
  return value;
}
