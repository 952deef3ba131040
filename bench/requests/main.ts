/**
 * `npm run bench:requests`: what one HTTP request costs order-service, for requests doing more and
 * more of an accepted POST's work, with nothing else in the process: its relay off, no other
 * service running; and, for scale, what a request to a bare Nest app costs. The CPU is the serving
 * process' own, from /proc, minus its idle rate measured just before. See docs/performance.md
 * (fourteenth pass).
 */
import { Logger } from '@nestjs/common';
import { SagaStack } from '@orderflow/testing';
import { startNoopHttp } from '../limits/http-ceiling';
import { KeepAliveClient } from '../saga/http-client';
import { childAppPids, sampleProcess } from '../saga/metrics/process-stats';
import { machine, runBenchmark, runStart } from '../saga/run-info';
import { now, percentiles, round, sleep } from '../saga/stats';
import { sendOpenLoop } from './send-requests';
import { parseOptions, RequestBenchOptions } from './options';
import { KindResult, printReport, RequestBenchReport, writeReport } from './report';
import { RequestKind, Server } from './request-kinds';

const logger = new Logger('bench:requests');
const APP = 'order-service';

interface Target {
  client: KeepAliveClient;
  pid: number;
  tokens: string[];
  sequence: { next: number };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const { startedAt, commit } = runStart();
  logger.log(`starting ${APP} alone (built, NODE_ENV=production, OUTBOX_RELAY=off)`);
  const stack = await SagaStack.start({
    apps: [APP],
    attach: false,
    env: { NODE_ENV: 'production', LOG_LEVEL: options.logLevel, OUTBOX_RELAY: 'off' },
  });
  const noop = options.kinds.some((k) => k.server === 'noop') ? await startNoopHttp() : undefined;
  const clients: KeepAliveClient[] = [];
  try {
    const tokens = Array.from({ length: options.customers }, (_, i) => stack.token(`bench-customer-${i}`));
    const target = (url: string, pid: number | undefined): Target => {
      if (pid === undefined) throw new Error(`no process serving ${url}`);
      const client = new KeepAliveClient(url, options.connections);
      clients.push(client);
      return { client, pid, tokens, sequence: { next: 0 } };
    };
    const targets: Partial<Record<Server, Target>> = {
      [APP]: target(stack.url(APP), childAppPids().get(APP)?.[0]),
      ...(noop ? { noop: target(noop.url, noop.pid) } : {}),
    };
    const results: KindResult[] = [];
    for (let n = 1; n <= options.rounds; n++)
      for (const kind of options.kinds) results.push(await measure(targets[kind.server]!, kind, n, options));
    const report: RequestBenchReport = {
      startedAt: startedAt.toISOString(),
      commit,
      machine: machine(),
      options: { ...options, kinds: options.kinds.map((k) => k.name) },
      settings: {
        app: `${APP}, one instance, NODE_ENV=production, OUTBOX_RELAY=off, no other service`,
        noop: 'bench/limits/noop-http, the no-op Nest app of the HTTP ceiling, in its own process',
        cpu: "the serving process' utime + stime during the measurement, minus its idle rate times the measurement's length",
        loadGenerator: 'this process, on the same machine, keep-alive connections, open loop',
      },
      results,
    };
    printReport(report);
    logger.log(`wrote ${writeReport(report, options.outDir)}`);
  } finally {
    for (const client of clients) client.close();
    noop?.stop();
    await stack.close();
  }
}

async function measure(
  target: Target,
  kind: RequestKind,
  roundNumber: number,
  options: RequestBenchOptions,
): Promise<KindResult> {
  const load = {
    client: target.client,
    kind,
    tokens: target.tokens,
    rate: options.rate,
    sequence: target.sequence,
  };
  if (options.warmupSeconds > 0) await sendOpenLoop({ ...load, seconds: options.warmupSeconds });
  const idleCores = await idleRate(target.pid, options.idleSeconds);
  const before = cpuOf(target.pid);
  const start = now();
  const answered = await sendOpenLoop({ ...load, seconds: options.seconds });
  const after = cpuOf(target.pid);
  const wallSeconds = (now() - start) / 1000;
  const requests = Math.round(options.rate * options.seconds);
  const processCpuSeconds = after.cpuSeconds - before.cpuSeconds;
  const cpuSeconds = processCpuSeconds - idleCores * wallSeconds;
  const kernelSeconds = after.kernelSeconds - before.kernelSeconds;
  logger.log(
    `${kind.name}, round ${roundNumber}: ${round3((cpuSeconds * 1000) / requests)} ms of CPU per request`,
  );
  return {
    kind: kind.name,
    what: kind.what,
    round: roundNumber,
    requests,
    failures: answered.failures.length,
    failureSamples: answered.failures.slice(0, 10),
    processCpuSeconds: round3(processCpuSeconds),
    cpuMsPerRequest: round3((cpuSeconds * 1000) / requests),
    kernelShare: round(kernelSeconds / Math.max(processCpuSeconds, 1e-9), 2),
    idleCores: round3(idleCores),
    latencyMs: percentiles(answered.latencies),
  };
}

/** The process' CPU, in cores, over `seconds` without requests (timers, consumer polls, metrics). */
async function idleRate(pid: number, seconds: number): Promise<number> {
  const before = cpuOf(pid).cpuSeconds;
  const start = now();
  await sleep(seconds * 1000);
  return (cpuOf(pid).cpuSeconds - before) / ((now() - start) / 1000);
}

function cpuOf(pid: number) {
  const sample = sampleProcess(pid);
  if (!sample) throw new Error(`the server (pid ${pid}) exited during the benchmark`);
  return sample;
}

const round3 = (value: number) => round(value, 3);

runBenchmark(main, logger);
