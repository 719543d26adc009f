import { defineConfig } from 'vitest/config'

// Two projects: fast unit tests (no network, seconds) and integration tests that share one real
// OpenClaw gateway per run (started by test/support/global-gateway.ts) and drive the built CLI.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-gateway.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
    ],
  },
})
