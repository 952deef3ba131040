// Test tiers by suffix: *.spec.ts (unit, beside the code), *.int-spec.ts (real Kafka and Postgres),
// *.e2e-spec.ts (the real apps as processes, through the public API). `--selectProjects` picks a tier.
// With E2E_TARGET set, the e2e tier is the files that can run against a running stack (test/e2e-targets.js).
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');
const { EXTERNAL } = require('./test/e2e-targets');

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/bench', '<rootDir>/libs', '<rootDir>/test', '<rootDir>/tools'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.cache'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['**/*.int-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/timeout-int.js'],
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: process.env.E2E_TARGET?.trim()
        ? EXTERNAL.map((file) => `<rootDir>/${file}`)
        : ['**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/timeout-e2e.js'],
      slowTestThreshold: 60,
    },
  ],
};
