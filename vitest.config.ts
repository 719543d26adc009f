import { defineConfig } from 'vitest/config'
import { postgresBin } from './scripts/postgres-cluster.js'

// The unit and cli suites run twice: on SQLite files, and as `unit-pg` / `cli-pg` on PostgreSQL (a
// server CI starts, CLAWOPS_TEST_DATABASE_URL, or a throwaway cluster test/support/global-postgres.ts
// starts). Without PostgreSQL installed the `-pg` projects are left out, except in CI, where that
// fails the run.
const postgres = Boolean(process.env.CLAWOPS_TEST_DATABASE_URL || process.env.CI || postgresBin())
if (!postgres) {
  console.error('vitest: PostgreSQL is not installed; the unit-pg and cli-pg projects are skipped (apt-get install postgresql)')
}
const onPostgres = (project: { name: string; include: string[]; testTimeout: number }) =>
  postgres
    ? [{ test: { ...project, name: `${project.name}-pg`, globalSetup: ['test/support/global-postgres.ts'] } }]
    : []
const unit = { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 }
const cli = { name: 'cli', include: ['test/cli/**/*.test.ts'], testTimeout: 60_000 }

// Four projects: fast unit tests (no network, seconds); cli tests that run the built binary as a
// user or an agent would (no gateway); contract tests that run the providers' official clients against
// the lab cloud; integration tests that share one real OpenClaw gateway per run (started by
// test/support/global-gateway.ts). `npm test` builds first (pretest).
export default defineConfig({
  test: {
    projects: [
      { test: unit },
      ...onPostgres(unit),
      { test: cli },
      ...onPostgres(cli),
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
        },
      },
    ],
  },
})
