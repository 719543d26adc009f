import { defineConfig } from 'vitest/config'
import { postgresBin } from './scripts/postgres-cluster.js'

// The store-touching suites run twice: on SQLite files (`unit`, `cli`), and as `unit-pg` / `cli-pg` on
// PostgreSQL (a server CI starts, CLAWOPS_TEST_DATABASE_URL, or a throwaway cluster that
// test/support/global-postgres.ts starts), each clawops home in a schema of its own. Only the files
// whose subject is the store's SQL run twice: every statement costs a round trip to the server (and
// every store a fresh schema's DDL, ~0.3 s), which makes the whole unit suite ~10× slower there, far
// past the time CI has. Without PostgreSQL installed the `-pg` projects are left out, except in CI,
// where that fails the run.
const postgres = Boolean(process.env.CLAWOPS_TEST_DATABASE_URL || process.env.CI || postgresBin())
if (!postgres) {
  console.error(
    'vitest: PostgreSQL is not installed; the unit-pg and cli-pg projects are skipped (apt-get install postgresql)',
  )
}
const STORE_UNIT = [
  'test/unit/store/**/*.test.ts',
  'test/unit/audit/**/*.test.ts',
  'test/unit/engine/**/*.test.ts',
  'test/unit/ops/**/*.test.ts',
  'test/unit/ledger/{billing-store,cost-report,provider-health,routing,waste}.test.ts',
  'test/unit/config-push/rollout.test.ts',
  'test/unit/watch/{outbox,heal,incidents}.test.ts',
  'test/unit/archive/*.test.ts',
  'test/unit/brief/delivery.test.ts',
]
const STORE_CLI = ['test/cli/store.test.ts', 'test/cli/crash.test.ts']
const onPostgres = (project: { name: string; testTimeout: number }, include: string[]) =>
  postgres
    ? [
        {
          test: {
            ...project,
            name: `${project.name}-pg`,
            include,
            globalSetup: ['test/support/global-postgres.ts'],
          },
        },
      ]
    : []
const unit = { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 }
const cli = { name: 'cli', include: ['test/cli/**/*.test.ts'], testTimeout: 60_000 }

export default defineConfig({
  test: {
    projects: [
      { test: unit },
      ...onPostgres(unit, STORE_UNIT),
      { test: cli },
      ...onPostgres(cli, STORE_CLI),
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
