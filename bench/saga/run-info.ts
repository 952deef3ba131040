import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@nestjs/common';
import { UsageError } from './options';

/** The short commit the benchmark ran at ('unknown' outside a git checkout). */
export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  } catch {
    return 'unknown';
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
