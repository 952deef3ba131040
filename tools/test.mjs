#!/usr/bin/env node
// `npm test [unit|int|e2e]`: every tier by default. Starts the local infrastructure when a tier
// needs it and it is not reachable, builds the apps for the end-to-end tier, then runs Jest per
// tier and closes with one summary line: "tests: N passed, N failed".
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const TIERS = ['unit', 'int', 'e2e'];
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const jestArgs = process.argv.slice(2).filter((a) => a.startsWith('-'));
const tiers = requested.length ? requested : TIERS;
for (const tier of tiers) {
  if (!TIERS.includes(tier)) {
    console.error(`unknown test tier "${tier}" (expected ${TIERS.join(', ')})`);
    process.exit(2);
  }
}

if (tiers.some((t) => t !== 'unit')) {
  execFileSync('bash', ['tools/infra/infra.sh', 'up'], { cwd: root, stdio: 'inherit' });
  await waitForKafka();
}
if (tiers.includes('e2e'))
  execFileSync(process.execPath, ['tools/build.mjs'], { cwd: root, stdio: 'inherit' });

const reportDir = join(root, 'tmp/test-reports');
rmSync(reportDir, { recursive: true, force: true });
mkdirSync(reportDir, { recursive: true });
let passed = 0;
let failed = 0;
let broken = false;
for (const tier of tiers) {
  console.log(`\n=== ${tier} tests ===`);
  const report = join(reportDir, `${tier}.json`);
  const serial = tier === 'unit' ? ['--maxWorkers=2'] : ['--runInBand'];
  const result = spawnSync(
    process.execPath,
    [
      require.resolve('jest/bin/jest'),
      '--selectProjects',
      tier,
      '--passWithNoTests',
      ...serial,
      '--json',
      `--outputFile=${report}`,
      ...jestArgs,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --disable-warning=TimeoutNegativeWarning`,
      },
    },
  );
  try {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    passed += summary.numPassedTests;
    failed += summary.numFailedTests;
    if (summary.numRuntimeErrorTestSuites > 0) broken = true;
  } catch {
    broken = true; // no report: Jest itself failed before running tests
  }
  if (result.status !== 0) broken = true;
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);

async function waitForKafka() {
  const { Kafka, logLevel } = require('kafkajs');
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const admin = new Kafka({ brokers, clientId: 'test-runner', logLevel: logLevel.NOTHING }).admin();
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`Kafka at ${brokers} did not answer within 90 s: ${error.message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
