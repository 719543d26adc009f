/**
 * The lab cloud for contract tests: in this process, instant boots, short actions, generated
 * credentials, and every provider request recorded (the adapter-request checks read them).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Provider } from '../../../src/lib/domain/provider.js'
import type { LabCredentials } from '../../../src/lib/lab/cloud/credentials.js'
import { type LabCloud, type LabCloudOptions, startLabCloud } from '../../../src/lib/lab/cloud/lab-cloud.js'

export interface SeenRequest {
  provider: Provider
  method: string
  path: string
  query: URLSearchParams
  body: unknown
}

export interface ContractLab {
  lab: LabCloud
  creds: LabCredentials
  seen: SeenRequest[]
  stop(): Promise<void>
}

export async function contractLab(opts: Partial<LabCloudOptions> = {}): Promise<ContractLab> {
  const dir = mkdtempSync(join(tmpdir(), 'clawops-contract-'))
  const seen: SeenRequest[] = []
  const lab = await startLabCloud({
    dir,
    timings: { bootMs: 30, actionMs: 30, deleteMs: 30 },
    onRequest: (provider, r) =>
      seen.push({
        provider,
        method: r.method,
        path: r.path,
        query: new URLSearchParams(r.query),
        body: r.body,
      }),
    ...opts,
  })
  return {
    lab,
    creds: lab.credentials,
    seen,
    async stop() {
      await lab.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Polls until `fn` resolves truthy (a created server booting, an action finishing). */
/** Polls `fn` every `everyMs` until it answers; keep `everyMs` above what the provider's rate limit allows. */
export async function until<T>(
  fn: () => Promise<T | undefined | null | false>,
  ms = 5000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
