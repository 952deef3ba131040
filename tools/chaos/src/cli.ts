import { parseArgs } from 'node:util';
import { runChaos } from './chaos-run';
import type { MidWorkKill } from './mid-work-kill';
import type { RelayBatchAtKill } from './relay-mid-batch';

/** `npm run chaos -- --duration 5m --rate 10 --seed 42` */
async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '2m' },
      rate: { type: 'string', default: '5' },
      seed: { type: 'string' },
      customers: { type: 'string', default: '8' },
      'quiesce-timeout': { type: 'string', default: '3m' },
      'postgres-restart': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const report = await runChaos({
    durationMs: durationMs(values.duration),
    ratePerSec: Number(values.rate),
    seed,
    customers: Number(values.customers),
    quiescenceTimeoutMs: durationMs(values['quiesce-timeout']),
    postgresRestart: values['postgres-restart'],
    outFile: values.out,
    log: (line) => process.stdout.write(`[chaos] ${line}\n`),
  });
  const out = process.stdout;
  out.write(`\nchaos run ${report.run} (seed ${report.seed})\n`);
  out.write(
    `faults:     ${Object.entries(report.faults.byType)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}\n`,
  );
  out.write(
    `orders:     ${report.orders.accepted} accepted of ${report.orders.attempted} (${Object.entries(
      report.orders.byStatus,
    )
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')})\n`,
  );
  out.write(
    `recovered:  ${report.timeToRecoverMs === null ? 'NOT' : `${(report.timeToRecoverMs / 1000).toFixed(1)} s`} after the last fault\n`,
  );
  out.write(
    `mid-work:   ${Object.entries(report.killsMidWork.byCondition)
      .map(([c, n]) => `${c} ${n.observed}/${n.wanted}`)
      .join(', ')} (caught/wanted)\n`,
  );
  for (const kill of report.killsMidWork.kills) out.write(`  - ${describeKill(kill)}\n`);
  out.write(`crashes:    ${report.unexpectedExits.length} unexpected exits (restarted)\n`);
  out.write(`violations: ${report.violationCount}\n`);
  for (const v of report.violations.slice(0, 50)) out.write(`  - ${v.invariant}: ${v.detail}\n`);
  out.write(`report:     ${report.reportFile}\n`);
  process.exitCode = report.violationCount === 0 ? 0 : 1;
}

function describeKill(kill: MidWorkKill): string {
  const at = kill.atKill;
  const seen = [
    at.request
      ? `request ${at.request.inFlight ? 'in flight' : 'answered'} (key ${at.request.idempotencyKey})`
      : '',
    at.openTransactions ? `${at.openTransactions.length} open transaction(s)` : '',
    at.rolledBack !== undefined ? `${at.rolledBack} rolled back by the kill` : '',
    at.backlogEvents !== undefined ? `${at.backlogEvents} unpublished outbox event(s)` : '',
    at.relayBatch ? describeBatch(at.relayBatch) : '',
    `${at.inFlightOrders} orders in flight`,
  ].filter(Boolean);
  const verdict = kill.observed ? 'caught' : `NOT caught: ${kill.note}`;
  return `${kill.target} wanted ${kill.wanted}: ${verdict}; at kill ${seen.join(', ')}`;
}

function describeBatch(batch: RelayBatchAtKill): string {
  const { produce, republished } = batch;
  const after =
    republished === undefined
      ? 'not followed'
      : 'afterKillMs' in republished
        ? `republished ${(republished.afterKillMs / 1000).toFixed(1)} s after the kill`
        : `NOT republished: ${republished.error}`;
  return `relay mid-batch: ${produce.records ?? '?'} record(s) sent, Produce ${produce.phase} (${produce.ageMs} ms), ${after}`;
}

function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text} (e.g. 90s, 2m)`);
  const unit = match[2] ?? 's';
  return Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1_000 : 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
