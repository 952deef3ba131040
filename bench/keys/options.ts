import { parseArgs } from 'node:util';
import { positive, UsageError } from '../saga/options';

export interface KeyBenchOptions {
  /** Rows in each table before the checkpoint: the index the measured inserts go into. */
  rows: number;
  /** Rows inserted after the checkpoint, measured. */
  inserts: number;
  /** Rows per insert statement (each its own transaction), like a consumer run's inbox claim. */
  batch: number;
  outDir: string;
}

const USAGE = `npm run bench:keys -- [options]
  --rows 1000000     rows in each table before the checkpoint
  --inserts 100000   rows inserted after it, measured
  --batch 20         rows per insert statement, each its own transaction
  --out bench/results  where the JSON goes`;

export function parseOptions(argv: string[]): KeyBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string', default: '1000000' },
      inserts: { type: 'string', default: '100000' },
      batch: { type: 'string', default: '20' },
      out: { type: 'string', default: 'bench/results' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new UsageError(USAGE);
  return {
    rows: positive('--rows', values.rows),
    inserts: positive('--inserts', values.inserts),
    batch: positive('--batch', values.batch),
    outDir: values.out,
  };
}
