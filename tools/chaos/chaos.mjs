#!/usr/bin/env node
// `npm run chaos -- --duration 2m --rate 5 --seed 42`: builds the apps and the chaos runner, then
// runs it (tools/chaos/src/cli.ts). See docs/chaos.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

run(process.execPath, ['tools/build.mjs']);
run(bin('tsc'), ['-p', 'tools/chaos/tsconfig.json']);
run(bin('tsc-alias'), ['-p', 'tools/chaos/tsconfig.json']);
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', join(root, 'dist/tools/chaos/src/cli.js'), ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
