import type { KeyBenchReport } from '../../bench/keys/main';
import { BenchScriptRun, runBenchScript } from './bench-script';

// The short form of `npm run bench:keys`: small tables, a few hundred inserts. It keeps the script
// working and checks it measured what it says, not the figures (WAL counters are server-wide, and
// other suites write to the same server meanwhile).
describe('npm run bench:keys (short form)', () => {
  let run: BenchScriptRun<KeyBenchReport>;

  beforeAll(async () => {
    run = await runBenchScript<KeyBenchReport>(
      ['--bench', 'keys', '--rows', '5000', '--inserts', '400', '--batch', '20'],
      'keys-',
    );
  }, 120_000);

  afterAll(() => run?.remove());

  it('inserts into a table of each key kind after a checkpoint, and reads the WAL written', () => {
    expect(run.exitCode).toBe(0);
    expect(run.report.results.map((r) => r.kind)).toEqual(['random', 'time-ordered']);
    for (const result of run.report.results) {
      expect(result).toMatchObject({ rowsBefore: 5000, inserted: 400, rowsAfter: 5400 });
      // 400 inbox rows write at least their heap and index records.
      expect(result.walBytesPerRow).toBeGreaterThan(50);
      expect(result.primaryKeyMb).toBeGreaterThan(0);
    }
    expect(run.output).toContain('orderflow key-order benchmark');
  });
});
