/**
 * docker.ps|restart|pull|logs through the real docker CLI. Container and image names are checked
 * against Docker's own grammar before they reach argv, so a name can never be read as a flag.
 */
import { z } from 'zod'
import { runArgv, runChecked } from '../run.js'
import type { NodeContext } from './context.js'
import { NodeCommandError } from './errors.js'
import { defineCommand } from './registry.js'

const ContainerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a container name or id')
const ImageRef = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, 'an image reference')
  .refine((s) => !s.includes('..') && !s.includes('//'), 'an image reference')

function opts(ctx: NodeContext, signal: AbortSignal, timeoutMs: number) {
  return { signal, timeoutMs, maxOutputBytes: ctx.config.limits.maxOutputBytes }
}

export function dockerCommands() {
  const ps = defineCommand({
    name: 'docker.ps',
    params: z.object({ all: z.boolean().default(false) }).strict(),
    async run(p, run) {
      let r: Awaited<ReturnType<typeof runArgv>>
      try {
        r = await runArgv(
          run.node.config.bins.docker,
          ['ps', ...(p.all ? ['--all'] : []), '--no-trunc', '--format', '{{json .}}'],
          opts(run.node, run.signal, run.remainingMs()),
        )
      } catch (err) {
        if (err instanceof NodeCommandError && err.code === 'UNAVAILABLE') {
          return { available: false, reason: err.message }
        }
        throw err
      }
      if (r.exitCode !== 0) {
        // The binary is there but the daemon is not reachable (or we may not talk to it).
        return {
          available: false,
          reason: r.stderr.trim().split('\n').at(-1)?.slice(0, 500) ?? `exit ${r.exitCode}`,
        }
      }
      const containers = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const c = JSON.parse(line) as Record<string, string>
          return {
            id: c.ID,
            name: c.Names,
            image: c.Image,
            state: c.State,
            status: c.Status,
            createdAt: c.CreatedAt,
          }
        })
      return { available: true, containers }
    },
  })

  const restart = defineCommand({
    name: 'docker.restart',
    params: z
      .object({ container: ContainerName, timeoutSec: z.number().int().min(0).max(300).default(10) })
      .strict(),
    timeoutMs: 330_000,
    async run(p, run) {
      await runChecked(
        run.node.config.bins.docker,
        ['restart', '--time', String(p.timeoutSec), p.container],
        opts(run.node, run.signal, run.remainingMs()),
      )
      return { restarted: p.container }
    },
  })

  const pull = defineCommand({
    name: 'docker.pull',
    params: z.object({ image: ImageRef }).strict(),
    timeoutMs: 600_000,
    async run(p, run) {
      const r = await runChecked(
        run.node.config.bins.docker,
        ['pull', '--quiet', p.image],
        opts(run.node, run.signal, run.remainingMs()),
      )
      return { image: p.image, digest: r.stdout.trim().split('\n').at(-1) ?? null }
    },
  })

  const logs = defineCommand({
    name: 'docker.logs',
    params: z
      .object({ container: ContainerName, lines: z.number().int().min(1).max(10_000).default(200) })
      .strict(),
    async run(p, run) {
      const lines = Math.min(p.lines, run.node.config.limits.maxLogLines)
      const r = await runChecked(
        run.node.config.bins.docker,
        ['logs', '--tail', String(lines), p.container],
        opts(run.node, run.signal, run.remainingMs()),
      )
      // docker logs replays the container's stdout and stderr on its own stdout and stderr.
      const out = [r.stdout, r.stderr].filter(Boolean).join('\n').split('\n').slice(-lines)
      return { container: p.container, lines: out, count: out.length }
    },
  })

  return [ps, restart, pull, logs]
}
