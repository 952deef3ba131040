/**
 * `npm run bench:keys`: what random (v4) and time-ordered (v7) UUID keys cost Postgres, in a table
 * shaped like every consumer's inbox. Both tables are filled, then each in turn takes a checkpoint
 * and the same number of small inserts. It reports the WAL, the full-page images and the insert
 * rate of each. See ADR 54 and docs/performance.md (fifteenth pass).
 */
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { createTestDatabase } from '@orderflow/testing';
import { machine, runBenchmark, runStart, writeJsonReport } from '../saga/run-info';
import { ratio, round } from '../saga/stats';
import { createInboxTable, fill, KEY_KINDS, KeyKind, KeyKindResult, measureInserts } from './measure-keys';
import { KeyBenchOptions, parseOptions } from './options';

const logger = new Logger('bench:keys');

export interface KeyBenchReport {
  startedAt: string;
  commit: string;
  machine: ReturnType<typeof machine>;
  postgres: string;
  options: Omit<KeyBenchOptions, 'outDir'>;
  results: KeyKindResult[];
  /** random ÷ time-ordered, for the WAL and the full-page images (null when nothing to divide by). */
  ratios: { walBytes: number; fullPageImages: number };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const { startedAt, commit } = runStart();
  const db = await createTestDatabase('bench_keys');
  const client = new Client({ connectionString: db.url, application_name: 'bench-keys' });
  await client.connect();
  try {
    const kinds = Object.keys(KEY_KINDS) as KeyKind[];
    for (const kind of kinds) {
      logger.log(`filling the ${kind} table with ${options.rows} rows`);
      await createInboxTable(client, kind);
      await fill(client, kind, options.rows);
    }
    const { outDir, ...measured } = options;
    const { rows: rowsBefore, inserts, batch } = measured;
    const results: KeyKindResult[] = [];
    for (const kind of kinds) {
      logger.log(`${kind}: checkpoint, then ${inserts} rows, ${batch} per transaction`);
      results.push(await measureInserts(client, kind, { rowsBefore, inserts, batch }));
    }
    const version = await client.query<{ server_version: string }>('show server_version');
    const [random, ordered] = results;
    const report: KeyBenchReport = {
      startedAt: startedAt.toISOString(),
      commit,
      machine: machine(),
      postgres: version.rows[0].server_version,
      options: measured,
      results,
      ratios: {
        walBytes: ratio(random.walBytes, ordered.walBytes),
        fullPageImages: ratio(random.fullPageImages, ordered.fullPageImages),
      },
    };
    printReport(report);
    logger.log(`wrote ${writeJsonReport(outDir, 'keys-', report)}`);
  } finally {
    await client.end();
    await db.drop();
  }
}

const shown = (value: number) => (Number.isFinite(value) ? value : '–');

function printReport(report: KeyBenchReport): void {
  const { rows, inserts, batch } = report.options;
  const out = [
    '',
    `orderflow key-order benchmark — ${report.commit}, Postgres ${report.postgres}, ${report.machine.cpuModel}`,
    `${inserts} rows inserted (${batch} per transaction) after a checkpoint into an inbox-shaped table of ${rows}`,
    '',
    'keys            WAL MB  WAL B/row  full-page images  per 1000 rows  rows/s  primary key MB',
    ...report.results.map((r) =>
      [
        r.kind.padEnd(12),
        String(round(r.walBytes / 1024 ** 2)).padStart(9),
        String(r.walBytesPerRow).padStart(10),
        String(r.fullPageImages).padStart(17),
        String(r.fullPageImagesPer1000Rows).padStart(14),
        String(r.rowsPerSecond).padStart(7),
        String(r.primaryKeyMb).padStart(15),
      ].join(' '),
    ),
    '',
    `random ÷ time-ordered: WAL ${shown(report.ratios.walBytes)}×, full-page images ${shown(report.ratios.fullPageImages)}×`,
    'WAL and full-page images are server-wide: run it on an otherwise idle server.',
    '',
  ];
  process.stdout.write(out.join('\n'));
}

runBenchmark(main, logger);
