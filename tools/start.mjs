#!/usr/bin/env node
// `npm start`: infrastructure up (if not reachable), build, all six apps, their URLs and a demo
// token; Ctrl-C stops the apps cleanly (and the infrastructure this command started).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const sh = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const infraWasUp = (() => {
  try {
    execFileSync('bash', ['tools/infra/infra.sh', 'status'], { cwd: root, stdio: 'ignore' });
    return true;
  } catch {
    return false; // status exits non-zero when something is down: bring it up below
  }
})();
sh('bash', ['tools/infra/infra.sh', 'up']);
sh(process.execPath, ['tools/build.mjs']);

const { AppSupervisor, discoverApps } = require(join(root, 'dist/libs/testing/src/index.js'));
const { signToken, DEV_JWT_SECRET } = require(join(root, 'dist/libs/service-defaults/src/index.js'));

const supervisor = new AppSupervisor({
  root,
  output: process.stdout,
  env: { NODE_ENV: process.env.NODE_ENV ?? 'development' },
});
const apps = (await discoverApps(root)).map((app) =>
  supervisor.start({ name: app.name, port: app.defaultPort }),
);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping apps…');
  await supervisor.stopAll();
  if (!infraWasUp) sh('bash', ['tools/infra/infra.sh', 'down']);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const started = Date.now();
try {
  await Promise.all(apps.map((app) => supervisor.waitReady(app, 180_000)));
} catch (error) {
  console.error(`start failed: ${error.message}`);
  await stop(1);
}
const token = signToken('demo-customer', process.env.JWT_SECRET ?? DEV_JWT_SECRET);
console.log(`\nall ${apps.length} apps ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const app of apps) console.log(`  ${app.spec.name.padEnd(22)} ${app.url}`);
console.log(
  `\nstorefront: http://127.0.0.1:3000/\ndemo token (customer demo-customer):\n  ${token}\n\nCtrl-C stops everything.`,
);
