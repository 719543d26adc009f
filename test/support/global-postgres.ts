/**
 * Global setup of the `-pg` test projects: the PostgreSQL server their stores live on. With
 * CLAWOPS_TEST_DATABASE_URL (CI starts one, see .ci/run) a fresh database is made on that server for
 * the run; without it a throwaway cluster is started here (scripts/postgres-cluster.js). Each store
 * a test opens then gets a schema of its own in that database (test/support/store-engine.ts).
 */
import type { TestProject } from 'vitest/node'
import { startCluster, stopCluster } from '../../scripts/postgres-cluster.js'
import { PostgresDatabase } from '../../src/lib/store/postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject) {
  let server = process.env.CLAWOPS_TEST_DATABASE_URL
  let cluster: { url: string; dir: string } | undefined
  if (!server) {
    cluster = await startCluster()
    server = cluster.url
  }
  const name = `clawops_test_${project.name.replace(/\W/g, '_')}_${process.pid}`
  const admin = new PostgresDatabase(server)
  admin.exec(`DROP DATABASE IF EXISTS ${name}`)
  admin.exec(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`)
  admin.close()
  const u = new URL(server)
  u.pathname = `/${name}`
  project.provide('postgresUrl', u.toString())
  return () => {
    if (cluster) {
      stopCluster(cluster.dir)
      return
    }
    const again = new PostgresDatabase(server)
    again.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    again.close()
  }
}
