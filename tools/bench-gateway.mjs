#!/usr/bin/env node
// `npm run bench:gateway -- [options]`: builds the apps (skip with --no-build), then runs the gateway benchmark
// (bench/gateway/main.ts, compiled to dist/) with the remaining options. `--help` lists them.
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
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
if (build) execFileSync(process.execPath, ['tools/build.mjs'], { cwd: root, stdio: 'inherit' });
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    join(root, 'dist/bench/gateway/main.js'),
    ...args.filter((a) => a !== '--no-build'),
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
