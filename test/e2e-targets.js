// Which end-to-end files run against an already-running stack (E2E_TARGET=compose or external:
// `docker compose -f docker-compose.yml -f compose.e2e.yml`, `npm run test:e2e-external`) and why
// each other one cannot. Every *.e2e-spec.ts is in exactly one list (test/e2e-targets.spec.ts);
// jest.config.js runs only EXTERNAL when E2E_TARGET is set, and tools/test.mjs prints both lists.
// A file in EXTERNAL talks to the apps only through SagaStack URLs and tokens, and never assumes a
// fresh database: other runs' orders and products may be there (unique customers and SKUs).

/** @type {string[]} */
const EXTERNAL = [
  'test/foundation/apps-health.e2e-spec.ts',
  'test/saga/order-saga.e2e-spec.ts',
  'test/security/security.e2e-spec.ts',
  'test/gateway/storefront.e2e-spec.ts',
];

/** @type {Record<string, string>} file → why it needs the apps as its own processes */
const PROCESS_ONLY = {
  'test/foundation/apps-boot.e2e-spec.ts': 'reads the built apps and starts them with bad configuration',
  'test/saga/order-service.e2e-spec.ts':
    'runs order-service alone and plays the other services on its own topics',
  'test/saga/payment-outage.e2e-spec.ts': 'kills and restarts payment-service',
  'test/security/rate-limit-and-logs.e2e-spec.ts':
    "sets order-service's rate limit and reads the apps' log files",
  'test/gateway/live-status.e2e-spec.ts':
    'feeds the gateway invented status events and kills one of its instances',
  'test/observability/order-trace.e2e-spec.ts': 'points every app at an in-test OTLP receiver',
  'test/observability/order-service-telemetry.e2e-spec.ts':
    'runs order-service alone, exporting OTLP to an in-test receiver',
  'test/fuzz/fuzz.e2e-spec.ts': "injects malformed events into the stack's topics and reads its dead letters",
  'test/chaos/chaos-short.e2e-spec.ts': 'kills, pauses and cuts off processes, Kafka and Postgres',
  'test/bench/bench-short.e2e-spec.ts': 'runs `npm run bench`, which starts a stack of its own',
  'test/bench/requests-short.e2e-spec.ts':
    'runs `npm run bench:requests`, which starts an order-service of its own',
  'test/bench/keys-short.e2e-spec.ts':
    'runs `npm run bench:keys`, which creates a database and takes checkpoints as the Postgres superuser',
};

module.exports = { EXTERNAL, PROCESS_ONLY };
