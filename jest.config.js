/** Four suites, each runnable alone (npm run test:<suite>) and all by npm test. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }];
// cookie@2 (behind fastify's inject) and content-disposition@3 (behind @fastify/static, used by /docs)
// ship ES modules only: Node 20.19 loads them, Jest's CommonJS runtime needs them transformed.
const ESM_ONLY = ['cookie', 'content-disposition'];
const esmToCjs = [
  'ts-jest',
  {
    tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true },
    isolatedModules: true,
    diagnostics: false,
  },
];
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest, [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: esmToCjs },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.tools/'],
  // Real servers on a 2-core shared machine: bundling workflows alone can take several seconds
  // under load. Timeouts bound a hung test; speed is measured by the benchmarks, not here.
  testTimeout: 30_000,
};
const withServices = {
  ...base,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'workflows', testMatch: ['<rootDir>/test/workflows/**/*.test.ts'] },
    { ...withServices, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...withServices, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // The reserve-related files again, with the reserve as the workflow's Update-With-Start.
    {
      ...withServices,
      displayName: 'e2e-workflow',
      testMatch: ['http-api', 'saga', 'trace-path', 'shop-operations'].map(
        (f) => `<rootDir>/test/e2e/${f}.test.ts`,
      ),
      setupFiles: ['<rootDir>/test/e2e/workflow-mode.ts'],
    },
  ],
};
