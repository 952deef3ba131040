#!/usr/bin/env node
// `npm run bench -- [options]` (the saga), `npm run bench:gateway -- [options]`,
// `npm run bench:requests -- [options]` and `npm run bench:keys -- [options]`: builds the apps (skip
// with --no-build), then runs bench/<name>/main.ts from dist/ with the remaining options.
// `--bench saga|gateway|requests|keys` picks the benchmark (default saga); `--help` lists each one's
// options.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(
    `node ${process.version}: the benchmark needs Node 24 (the apps run on the same node binary)`,
  );
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const at = argv.indexOf('--bench');
const name = at >= 0 ? argv[at + 1] : 'saga';
const BENCHMARKS = ['saga', 'gateway', 'requests', 'keys'];
if (!BENCHMARKS.includes(name)) {
  console.error(`unknown benchmark "${name}" (expected one of ${BENCHMARKS.join(', ')})`);
  process.exit(2);
}
const args = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv;
const build = !args.includes('--no-build');
if (build) execFileSync(process.execPath, ['tools/build.mjs'], { cwd: root, stdio: 'inherit' });
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    join(root, 'dist/bench', name, 'main.js'),
    ...args.filter((a) => a !== '--no-build'),
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
