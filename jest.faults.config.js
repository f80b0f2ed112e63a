/**
 * The fault suite (npm run test:faults): its own Postgres, RabbitMQ and Temporal, stopped and started
 * under load, so it runs alone, one scenario after another, after the other suites (scripts/test.sh).
 */
const { projects } = require('./jest.config');
const base = projects.find((p) => p.displayName === 'unit');

module.exports = {
  projects: [
    {
      ...base,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      // A scenario runs its load, fault and recovery in 1–2 min on this box.
      testTimeout: 300_000,
    },
  ],
};
