/** @type {import('jest').Config} */
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@nemq/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
};
// services: suites that start MariaDB, Mosquitto or the Kafka mock (test/services/index.ts)
const services = ['<rootDir>/packages/*/test/**/*.e2e.test.ts', '<rootDir>/plugins/*/test/**/*.e2e.test.ts', '<rootDir>/test/services/**/*.test.ts', '<rootDir>/test/cluster/**/*.test.ts'];
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/plugins/*/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.test\\.ts$'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/services/', '<rootDir>/test/cluster/'],
    },
    { ...base, displayName: 'services', testMatch: services },
  ],
};
