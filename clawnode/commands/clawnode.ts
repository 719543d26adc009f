/**
 * clawnode.update: gf-clawnode replaces itself with a release from the operator's release location.
 * clawnode.rejoin: gf-clawnode moves to another gateway shard of the operator (`clawops gateway move`).
 */
import { z } from 'zod'
import { rejoin } from '../rejoin.js'
import { selfUpdate } from '../self-update.js'
import { VERSION_RE } from '../service/version.js'
import { defineCommand } from './registry.js'

export function clawnodeCommands() {
  const update = defineCommand({
    name: 'clawnode.update',
    params: z
      .object({
        version: z.string().regex(VERSION_RE),
        sha256: z.string().regex(/^[a-f0-9]{64}$/),
        key: z.string().min(1).max(200),
      })
      .strict(),
    timeoutMs: 600_000,
    run: (p, run) => selfUpdate(run.node, p),
  })
  const move = defineCommand({
    name: 'clawnode.rejoin',
    params: z
      .object({
        url: z
          .string()
          .url()
          .refine((u) => u.startsWith('ws://') || u.startsWith('wss://'), 'a ws:// or wss:// URL'),
        bootstrapToken: z.string().min(1),
        joinSecret: z.string().min(16),
      })
      .strict(),
    timeoutMs: 30_000,
    run: async (p, run) => rejoin(run.node, p),
  })
  return [update, move]
}
