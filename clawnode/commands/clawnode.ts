/** clawnode.update: gf-clawnode replaces itself with a release from the operator's release location. */
import { z } from 'zod'
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
  return [update]
}
