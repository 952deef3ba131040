import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@orderflow/testing';

export interface BenchScriptRun<Report> {
  exitCode: number | null;
  /** stdout and stderr together. */
  output: string;
  report: Report;
  /** The run's own output directory (`--out`); `remove` deletes it. */
  outDir: string;
  remove(): void;
}

/**
 * Runs `node tools/bench.mjs --no-build <args> --out <a new temporary directory>` and reads the
 * JSON report it wrote there (the one whose name starts with `reportPrefix`).
 */
export async function runBenchScript<Report>(
  args: string[],
  reportPrefix = '',
): Promise<BenchScriptRun<Report>> {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-short-'));
  const child = spawn(process.execPath, ['tools/bench.mjs', '--no-build', ...args, '--out', outDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const json = readdirSync(outDir).find((file) => file.startsWith(reportPrefix) && file.endsWith('.json'));
  if (!json) throw new Error(`the benchmark wrote no report (exit ${exitCode}):\n${output.slice(-4000)}`);
  return {
    exitCode,
    output,
    report: JSON.parse(readFileSync(join(outDir, json), 'utf8')) as Report,
    outDir,
    remove: () => rmSync(outDir, { recursive: true, force: true }),
  };
}
