import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@nestjs/common';
import { UsageError } from './options';

/**
 * When a run started, and the commit of the code it runs, read at the start: the tree may change
 * while it runs, and the report would otherwise name what was there at its end.
 */
export function runStart(): { startedAt: Date; commit: string } {
  return { startedAt: new Date(), commit: gitCommit() };
}

/**
 * The short commit the benchmark ran at, with `-dirty` when files git tracks differ from it (the
 * figures are then not that commit's); 'unknown' outside a git checkout.
 */
export function gitCommit(cwd = process.cwd()): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd }).toString().trim();
    return trackedFilesChanged(cwd) ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

function trackedFilesChanged(cwd: string): boolean {
  try {
    execFileSync('git', ['diff', '--quiet', 'HEAD'], { cwd, stdio: 'ignore' });
    return false;
  } catch (error) {
    if ((error as { status?: number }).status === 1) return true; // `--quiet`: 1 means "differs"
    throw error;
  }
}

/** The machine a report's figures come from. */
export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Writes the report as `<dir>/<prefix><date>-<commit>.json`, the directory created; returns its path. */
export function writeJsonReport(
  dir: string,
  prefix: string,
  report: { startedAt: string; commit: string },
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}${report.startedAt.slice(0, 19).replace(/:/g, '')}-${report.commit}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

/** Runs a benchmark's main: a usage error exits 2 with the usage text, any other failure 1. */
export function runBenchmark(main: () => Promise<void>, logger: Logger): void {
  main().catch((error: Error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger.error(error.stack ?? error.message);
    process.exit(1);
  });
}
