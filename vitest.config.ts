import { defineConfig } from 'vitest/config'

// Five projects: fast unit tests (no network, seconds); cli tests that run the built binary as a
// user or an agent would (no gateway); contract tests that run the providers' official clients against
// the lab cloud; integration tests that share one real OpenClaw gateway per run (started by
// test/support/global-gateway.ts); reliability tests (SIGKILL, provider faults, conflicting
// operations) that each bring a lab of their own up. `npm test` runs the first four and builds first
// (pretest); the reliability project runs on its own, `npm run test:reliability`.
export default defineConfig({
  test: {
    // Two files at a time (vitest would take one on two cores): the cli files mostly wait on the
    // clawops processes they start. The integration project runs after the others, alone (its
    // groupOrder), so its gateway and lab nodes never share the machine with them.
    maxWorkers: 2,
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
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          testTimeout: 60_000,
          // Their hooks seed homes through the binary: seconds alone, more on a loaded machine.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-gateway.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One file at a time: they share the run's gateway (one test kills and restarts it), and
          // the lab tests start a gateway and dozens of nodes of their own.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 900_000,
          // Each file starts a lab (a gateway and a cloud of virtual nodes) and kills clawops
          // processes on a schedule: one at a time, and alone, after the other projects.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
