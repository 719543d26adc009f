/**
 * exec.run: one allowlisted program, as argv, no shell, a minimal environment, a time limit and an
 * output cap. What may run is decided by checkExec; this file only runs what it allowed.
 */
import { z } from 'zod'
import { checkExec } from '../exec-policy.js'
import { runArgv } from '../run.js'
import { NodeCommandError } from './errors.js'
import { defineCommand } from './registry.js'

/** The environment allowlisted programs see: nothing inherited, so no tokens, no LD_PRELOAD. */
const EXEC_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
}

export function execCommands() {
  const run = defineCommand({
    name: 'exec.run',
    params: z
      .object({
        // Shape only; content is judged by checkExec so that refusals are POLICY_DENIED, not INVALID_PARAMS.
        argv: z.array(z.unknown()).min(1).max(64),
        timeoutMs: z.number().int().min(100).max(600_000).optional(),
      })
      .strict(),
    async run(p, rc) {
      const ctx = rc.node
      const decision = checkExec(p.argv, ctx.config.exec.allow)
      if (!decision.ok) {
        ctx.logger.warn({ reason: decision.reason }, 'exec.run refused')
        throw new NodeCommandError('POLICY_DENIED', `exec.run refused: ${decision.reason}`)
      }
      const timeoutMs = Math.min(p.timeoutMs ?? decision.entry.timeoutMs ?? 30_000, rc.remainingMs())
      const t0 = Date.now()
      const r = await runArgv(decision.path, decision.args, {
        signal: rc.signal,
        timeoutMs,
        maxOutputBytes: ctx.config.limits.maxOutputBytes,
        env: EXEC_ENV,
        isolatedEnv: true,
        cwd: '/',
      })
      return {
        argv: [decision.entry.name, ...decision.args],
        exitCode: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
        ms: Date.now() - t0,
      }
    },
  })
  return [run]
}
