/**
 * Test fixture: a lab cloud on loopback in a fresh temp directory with fast timings, plus adapter
 * options pointing at it. Tests run the real adapters against it over real HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LabCredentials } from '../../../src/lib/lab/cloud/credentials.js'
import type { LabCloud, LabCloudOptions } from '../../../src/lib/lab/cloud/lab-cloud.js'
import { startLabCloud } from '../../../src/lib/lab/cloud/lab-cloud.js'
import type { Clock } from '../../../src/lib/providers/clock.js'

export const FAST = { bootMs: 30, actionMs: 30, deleteMs: 30 }

/** The credentials the test lab accepts (every lab checks them, as the providers do). */
export const CREDS: LabCredentials = {
  hetzner: { token: 'hz-test-token-123' },
  vultr: { apiKey: 'VULTRTESTKEY1234' },
  digitalocean: { token: 'dop_v1_testtoken' },
  contabo: {
    clientId: 'INT-12345',
    clientSecret: 'cs-secret-value-1',
    username: 'ops@example.com',
    password: 'api-password-1',
  },
  hostinger: { token: 'hostinger-token-abc' },
}

export interface LabFixture {
  lab: LabCloud
  dir: string
  stop(): Promise<void>
}

export async function startLab(opts: Partial<LabCloudOptions> = {}): Promise<LabFixture> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'clawops-lab-'))
  const lab = await startLabCloud({
    credentials: CREDS,
    ...opts,
    dir,
    timings: { ...FAST, ...opts.timings },
  })
  return {
    lab,
    dir,
    async stop() {
      await lab.close()
      if (!opts.dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Adapter tuning for tests: quick polls, retries without real sleeping. */
export const TUNING = { pollMs: 10, retry: { baseMs: 1, capMs: 5, maxRetries: 4, maxRetryAfterMs: 50 } }

/** A clock whose sleeps are recorded and skipped (real time still moves for the lab). */
export function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => Date.now(),
    sleep: async (ms) => {
      sleeps.push(ms)
    },
  }
}

/** Polls until `fn` returns true or the time is up. */
export async function eventually(fn: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await fn()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('condition not met in time')
}
