#!/usr/bin/env node
// `npm test [unit|int|e2e|e2e-external]`: every tier by default. Starts the local infrastructure
// when a tier needs it and it is not reachable, builds the apps for the end-to-end tiers, then runs
// Jest per tier and closes with one summary line: "tests: N passed, N failed".
// e2e-external starts the six apps as processes (own databases, topics, free ports, a random
// JWT_SECRET, NODE_ENV=production) and runs the e2e files that can run against a running stack
// with E2E_TARGET=external pointing at them: what compose.e2e.yml does, without Docker.
// With E2E_TARGET set, the e2e tier talks to that running stack: nothing is started or built.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const TIERS = ['unit', 'int', 'e2e', 'e2e-external'];
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const jestArgs = process.argv.slice(2).filter((a) => a.startsWith('-'));
const tiers = requested.length ? requested : TIERS;
for (const tier of tiers) {
  if (!TIERS.includes(tier)) {
    console.error(`unknown test tier "${tier}" (expected ${TIERS.join(', ')})`);
    process.exit(2);
  }
}
const target = process.env.E2E_TARGET?.trim();
const startsApps = (tier) => tier === 'e2e-external' || (tier === 'e2e' && !target);

if (tiers.some((t) => t === 'int' || startsApps(t))) {
  execFileSync('bash', ['tools/infra/infra.sh', 'up'], { cwd: root, stdio: 'inherit' });
  await waitForKafka();
}
if (tiers.some(startsApps))
  execFileSync(process.execPath, ['tools/build.mjs'], { cwd: root, stdio: 'inherit' });

const reportDir = join(root, 'tmp/test-reports');
rmSync(reportDir, { recursive: true, force: true });
mkdirSync(reportDir, { recursive: true });
let passed = 0;
let failed = 0;
let broken = false;
for (const tier of tiers) {
  console.log(`\n=== ${tier} tests ===`);
  const outcome =
    tier === 'e2e-external'
      ? await againstOwnStack()
      : await runJest(tier, tier, target ? { E2E_TARGET: target } : {});
  passed += outcome.passed;
  failed += outcome.failed;
  if (outcome.broken) broken = true;
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);

/** Jest on one project; its report gives the counts. */
async function runJest(name, project, env) {
  if (env.E2E_TARGET) printSelection(env.E2E_TARGET);
  const report = join(reportDir, `${name}.json`);
  const serial = project === 'unit' ? ['--maxWorkers=2'] : ['--runInBand'];
  const args = [
    require.resolve('jest/bin/jest'),
    '--selectProjects',
    project,
    '--passWithNoTests',
    ...serial,
    '--json',
    `--outputFile=${report}`,
    ...jestArgs,
  ];
  // Asynchronous: the apps of e2e-external are this process's children and log through it.
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --disable-warning=TimeoutNegativeWarning`,
    },
  });
  const status = await new Promise((done) => child.once('exit', (code) => done(code)));
  try {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    return {
      passed: summary.numPassedTests,
      failed: summary.numFailedTests,
      broken: status !== 0 || summary.numRuntimeErrorTestSuites > 0,
    };
  } catch {
    return { passed: 0, failed: 0, broken: true }; // no report: Jest itself failed before running tests
  }
}

/** The six apps as processes, the way `npm start` runs them, and the e2e files for a running stack against them. */
async function againstOwnStack() {
  const { discoverApps, e2eVariable, SagaStack } = require(join(root, 'dist/libs/testing/src/index.js'));
  const jwtSecret = randomBytes(24).toString('hex');
  const started = Date.now();
  const stack = await SagaStack.start({
    attach: false,
    env: { NODE_ENV: 'production', JWT_SECRET: jwtSecret },
    logDir: join(root, 'tmp/logs/e2e-external'),
  });
  try {
    const env = { E2E_TARGET: 'external', E2E_TOPIC_PREFIX: stack.topicPrefix, JWT_SECRET: jwtSecret };
    const apps = (await discoverApps(root)).map((app) => app.name);
    for (const app of apps) {
      env[e2eVariable(app)] = stack.url(app);
      env[e2eVariable(app, 'DATABASE_URL')] = stack.databaseUrl(app);
    }
    console.log(
      `${apps.length} apps started in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in tmp/logs/e2e-external`,
    );
    for (const [name, value] of Object.entries(env))
      if (name !== 'JWT_SECRET') console.log(`  ${name}=${value}`);
    return await runJest('e2e-external', 'e2e', env);
  } finally {
    await stack.close();
  }
}

/** Which e2e files run against the running stack, and why each other one is left out. */
function printSelection(kind) {
  const { EXTERNAL, PROCESS_ONLY } = require(join(root, 'test/e2e-targets.js'));
  const left = Object.entries(PROCESS_ONLY);
  console.log(
    `E2E_TARGET=${kind}: ${EXTERNAL.length} files run against the running stack, ${left.length} are left out ` +
      '(they need the apps as processes of their own; test/e2e-targets.js)',
  );
  for (const file of EXTERNAL) console.log(`  runs      ${file}`);
  for (const [file, why] of left) console.log(`  left out  ${file}: ${why}`);
}

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
