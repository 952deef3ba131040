#!/usr/bin/env node
/* global process, console */
// Records asyncapi/schemas as the new compatibility baseline (asyncapi/baseline), the way a schema
// registry registers a new schema: it refuses when a schema changed incompatibly (make that a new
// version file instead). `--retire <file>` drops a version no consumer reads any more.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const { checkAgainstBaseline, describeChange } = await import('../tooling/schema-compatibility.ts');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const schemasDir = join(root, 'asyncapi', 'schemas');
const baselineDir = join(root, 'asyncapi', 'baseline');
const retired = process.argv.flatMap((arg, i, all) => (all[i - 1] === '--retire' ? [arg] : []));

const report = checkAgainstBaseline(schemasDir, baselineDir);
const breaking = report.breaking.filter((c) => !(c.kind === 'version removed' && retired.includes(c.file)));
if (breaking.length > 0) {
  console.error(
    'Refusing to update the baseline: breaking changes need a new schema version (<event>.v<N+1>.json).',
  );
  for (const change of breaking) console.error(`  ${describeChange(change)}`);
  process.exit(1);
}
mkdirSync(baselineDir, { recursive: true });
for (const file of readdirSync(baselineDir)) rmSync(join(baselineDir, file));
cpSync(schemasDir, baselineDir, { recursive: true });
console.log(
  report.unrecorded.length === 0
    ? 'baseline already up to date'
    : `baseline updated: ${report.unrecorded.join(', ')}`,
);
