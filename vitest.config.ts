import { defineConfig } from 'vitest/config'
import { postgresBin } from './scripts/postgres-cluster.js'

// The store-touching suites run twice: on SQLite files (`unit`, `cli`), and as `unit-pg` / `cli-pg` on
// PostgreSQL (a server CI starts, CLAWOPS_TEST_DATABASE_URL, or a throwaway cluster that
// test/support/global-postgres.ts starts), each clawops home in a schema of its own. Only the files
// whose subject is the store's SQL run twice: every statement costs a round trip to the server (and
// every store a fresh schema's DDL, ~0.3 s), which makes the whole unit suite ~10× slower there, far
// past the time CI has. A new migration needs no entry here: every store these suites open runs all
// of them on PostgreSQL. Without PostgreSQL installed the `-pg` projects are left out (so `npm test`
// needs nothing but Node and npm), except where CLAWOPS_REQUIRE_POSTGRES=1 (.ci/run sets it): there
// they run, and a missing server fails them.
const postgres = Boolean(
  process.env.CLAWOPS_REQUIRE_POSTGRES ||
    process.env.CLAWOPS_TEST_DATABASE_URL ||
    postgresBin(),
)
if (!postgres) {
  console.error(
    'vitest: PostgreSQL is not installed; the unit-pg and cli-pg projects are skipped (apt-get install postgresql)',
  )
}
// What proves the PostgreSQL engine, and nothing more (the -pg projects must add at most ~3 minutes to
// `npm test`): the store's own suites (repositories, the migrations, crash safety, what only
// PostgreSQL has: schema refusals, append-only audit, advisory-lock writers, SKIP LOCKED claims, the
// server clock), the audit chain, the engine's locks and leases, the outbox's exactly-once, the
// fleet-status and billing queries (the heaviest SQL), and the store commands end to end.
const STORE_UNIT = [
  'test/unit/store/{postgres,feature-queries,health-history,crash}.test.ts',
  'test/unit/audit/trail.test.ts',
  'test/unit/engine/locks.test.ts',
  'test/unit/ops/fleet-status.test.ts',
  'test/unit/ledger/{billing-store,cost-report}.test.ts',
  'test/unit/watch/outbox.test.ts',
  // Shard assignment counts instances per gateway in SQL.
  'test/unit/gateway/shards.test.ts',
]
const STORE_CLI = ['test/cli/store-engines.test.ts']
// `npm run test:pg` (CLAWOPS_TEST_ALL_ON_POSTGRES=1): the -pg projects run every file of `unit` and
// `cli`, which is what proves the engines interchangeable; see the README for what it takes.
const all = Boolean(process.env.CLAWOPS_TEST_ALL_ON_POSTGRES)
// Timeouts three times SQLite's: every statement is a round trip to the server, and every clawops
// process starts a worker thread for the driver (~1 s on a loaded machine).
const onPostgres = (
  project: { name: string; include: string[]; testTimeout: number; hookTimeout?: number },
  include: string[],
) =>
  postgres
    ? [
        {
          test: {
            ...project,
            name: `${project.name}-pg`,
            include: all ? project.include : include,
            testTimeout: 3 * project.testTimeout,
            hookTimeout: 3 * (project.hookTimeout ?? 10_000),
            globalSetup: ['test/support/global-postgres.ts'],
          },
        },
      ]
    : []
const unit = { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 }
const cli = {
  name: 'cli',
  include: ['test/cli/**/*.test.ts'],
  testTimeout: 60_000,
  // Their hooks seed homes through the binary: seconds alone, more on a loaded machine.
  hookTimeout: 60_000,
}

// Projects: fast unit tests (no network, seconds); cli tests that run the built binary as a user or
// an agent would (no gateway); contract tests that run the providers' own clients against the lab
// cloud; integration tests that share one real OpenClaw gateway per run (started by
// test/support/global-gateway.ts); unit-pg / cli-pg (above); reliability tests (SIGKILL, provider
// faults, conflicting operations) that each bring a lab of their own up. `npm test` runs all but the
// reliability project and builds first (pretest); that one runs on its own, `npm run test:reliability`.
export default defineConfig({
  test: {
    // Two files at a time (vitest would take one on two cores): the cli files mostly wait on the
    // clawops processes they start. The integration project runs after the others, alone (its
    // groupOrder), so its gateway and lab nodes never share the machine with them.
    maxWorkers: 2,
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
          // the lab tests start a gateway and dozens of nodes of their own. (Two projects would not
          // overlap either: vitest runs the projects of one group one after another.)
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
