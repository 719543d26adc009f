/**
 * vps.probe: a health probe in one call. It runs vps.health, vps.metrics and openclaw.health here on
 * the node, at once, each through the registry with its own deadline and structured error, and returns
 * every part's outcome. A sweep then costs the operator's gateway one node.invoke per instance instead
 * of three: the gateway's own work per invoke (pairing lookup, allowlist, logging) is most of a sweep.
 */
import { z } from 'zod'
import {
  PROBE_PARTS,
  type ProbePart,
  type ProbePartOutcome,
  probePartParams,
} from '../../src/lib/gateway/node-commands.js'
import type { CommandRegistry } from './registry.js'
import { defineCommand } from './registry.js'

/** `registry` is read when the probe runs: the probe dispatches into the table that holds it. */
export function probeCommands(registry: () => CommandRegistry) {
  const probe = defineCommand({
    name: 'vps.probe',
    params: z.object({ sampleMs: z.number().int().min(50).max(5_000).default(250) }).strict(),
    timeoutMs: 10_000,
    async run(p, run) {
      const params = probePartParams(p.sampleMs)
      const outcomes = await Promise.all(
        PROBE_PARTS.map((part) =>
          registry().invoke(part, JSON.stringify(params[part]), {
            node: run.node,
            timeoutMs: run.remainingMs(),
            signal: run.signal,
          }),
        ),
      )
      const parts = Object.fromEntries(
        PROBE_PARTS.map((part, i): [ProbePart, ProbePartOutcome] => {
          const o = outcomes[i]!
          return [
            part,
            o.ok ? { ok: true, payload: JSON.parse(o.payloadJSON) } : { ok: false, error: o.error },
          ]
        }),
      ) as Record<ProbePart, ProbePartOutcome>
      return { instanceId: run.node.instanceId, parts }
    },
  })
  return [probe]
}
