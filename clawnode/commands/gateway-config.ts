/**
 * config.get|diff|validate|push|rollback on the user gateway's openclaw.json. A push validates before
 * it swaps, swaps atomically, keeps the previous version, and refuses to overwrite a file that is
 * already malformed unless the caller says so explicitly (the malformed bytes are kept as the
 * previous version even then).
 */
import { existsSync } from 'node:fs'
import { z } from 'zod'
import { diffConfigs, type Json, redact } from '../../src/lib/gateway/config-diff.js'
import {
  type CurrentConfig,
  previousPath,
  readCurrent,
  restoreRedacted,
  swapIn,
  swapWithPrevious,
  validateConfig,
} from '../user-config.js'
import type { NodeContext } from './context.js'
import { NodeCommandError } from './errors.js'
import { waitHealthy } from './openclaw.js'
import { defineCommand } from './registry.js'

const ConfigObject = z.record(z.string(), z.unknown())

function requireUsable(cur: CurrentConfig): Record<string, Json> {
  if (cur.malformed) {
    throw new NodeCommandError(
      'CONFIG_MALFORMED',
      `the current config ${cur.path} is malformed (${cur.malformed}); it was not changed. Push with force:true to replace it (the malformed file is kept as the previous version)`,
    )
  }
  return cur.parsed ?? {}
}

function settings(ctx: NodeContext) {
  return { path: ctx.config.userGateway.configPath, maxBytes: ctx.config.limits.maxConfigBytes }
}

function validate(ctx: NodeContext, candidate: unknown, remainingMs: number) {
  const { configPath, validator } = ctx.config.userGateway
  return validateConfig(candidate, { configPath, validator, timeoutMs: remainingMs })
}

async function restartAndCheck(
  ctx: NodeContext,
  signal: AbortSignal,
  remainingMs: () => number,
  waitMs: number,
): Promise<boolean> {
  await ctx.services.restart({ signal, timeoutMs: remainingMs() })
  return (await waitHealthy(ctx, Math.min(waitMs, remainingMs() - 1_000), signal)).healthy
}

export function gatewayConfigCommands() {
  const get = defineCommand({
    name: 'config.get',
    params: z.object({}).strict(),
    async run(_p, { node }) {
      const { path, maxBytes } = settings(node)
      const cur = await readCurrent(path, maxBytes)
      const prev = await readCurrent(previousPath(path), maxBytes)
      return {
        path,
        exists: cur.exists,
        hash: cur.hash,
        bytes: cur.bytes,
        config: cur.parsed ? redact(cur.parsed) : null,
        ...(cur.malformed ? { malformed: cur.malformed } : {}),
        previous: { exists: prev.exists, hash: prev.hash },
      }
    },
  })

  const diff = defineCommand({
    name: 'config.diff',
    params: z.object({ config: ConfigObject }).strict(),
    async run(p, { node }) {
      const { path, maxBytes } = settings(node)
      const cur = await readCurrent(path, maxBytes)
      const current = requireUsable(cur)
      const candidate = restoreRedacted(p.config as Json, current)
      const changes = diffConfigs(current, candidate)
      return { path, hash: cur.hash, changed: changes.length > 0, changes }
    },
  })

  const validateCmd = defineCommand({
    name: 'config.validate',
    params: z.object({ config: ConfigObject.optional() }).strict(),
    timeoutMs: 60_000,
    async run(p, run) {
      const { path, maxBytes } = settings(run.node)
      const cur = await readCurrent(path, maxBytes)
      let candidate: Json
      if (p.config) {
        candidate = restoreRedacted(p.config as Json, cur.parsed ?? undefined)
      } else {
        if (!cur.exists) throw new NodeCommandError('NOT_FOUND', `${path} does not exist`)
        candidate = requireUsable(cur)
      }
      const result = await validate(run.node, candidate, run.remainingMs())
      return { path, target: p.config ? 'candidate' : 'current', ...result }
    },
  })

  const push = defineCommand({
    name: 'config.push',
    params: z
      .object({
        config: ConfigObject,
        /** The hash from config.get: the push fails if the file changed since. */
        expectedHash: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .nullable()
          .optional(),
        restart: z.boolean().default(false),
        /** Roll back automatically when the restarted gateway is not healthy. */
        rollbackOnUnhealthy: z.boolean().default(true),
        waitTimeoutMs: z.number().int().min(500).max(300_000).default(30_000),
        force: z.boolean().default(false),
      })
      .strict(),
    timeoutMs: 180_000,
    async run(p, run) {
      const { path, maxBytes } = settings(run.node)
      const cur = await readCurrent(path, maxBytes)
      if (cur.malformed && !p.force) requireUsable(cur)
      if (p.expectedHash !== undefined && p.expectedHash !== cur.hash) {
        throw new NodeCommandError(
          'CONFLICT',
          `${path} changed since it was read (hash ${cur.hash ?? 'none'})`,
        )
      }
      const candidate = restoreRedacted(p.config as Json, cur.parsed ?? undefined)
      const validation = await validate(run.node, candidate, run.remainingMs())
      if (!validation.valid) {
        const list = validation.issues.map((i) => `${i.path}: ${i.message}`).join('; ')
        throw new NodeCommandError(
          'CONFIG_INVALID',
          `config rejected by ${validation.validators.join('+')}: ${list}`,
        )
      }
      const content = `${JSON.stringify(candidate, null, 2)}\n`
      const changes = cur.parsed ? diffConfigs(cur.parsed, candidate) : []
      if (cur.parsed && changes.length === 0) {
        return { path, changed: false, hash: cur.hash, changes, validators: validation.validators }
      }
      await swapIn(path, content, cur.mode, cur.exists)
      const after = await readCurrent(path, maxBytes)
      const result: Record<string, unknown> = {
        path,
        changed: true,
        hash: after.hash,
        previousHash: cur.hash,
        previousPath: cur.exists ? previousPath(path) : null,
        changes,
        validators: validation.validators,
      }
      if (p.restart) {
        const healthy = await restartAndCheck(run.node, run.signal, run.remainingMs, p.waitTimeoutMs)
        result.restarted = true
        result.healthy = healthy
        if (!healthy && p.rollbackOnUnhealthy && cur.exists) {
          await swapWithPrevious(path)
          result.rolledBack = true
          result.healthyAfterRollback = await restartAndCheck(
            run.node,
            run.signal,
            run.remainingMs,
            p.waitTimeoutMs,
          )
          result.hash = cur.hash
        }
      }
      return result
    },
  })

  const rollback = defineCommand({
    name: 'config.rollback',
    params: z
      .object({
        restart: z.boolean().default(false),
        waitTimeoutMs: z.number().int().min(500).max(300_000).default(30_000),
        /**
         * The hash of the file this rollback undoes: refused if the file changed since. A rollback is a
         * swap, so running it twice would put the undone version back; this makes a repeat a no-op.
         */
        expectedHash: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      })
      .strict(),
    timeoutMs: 120_000,
    async run(p, run) {
      const { path, maxBytes } = settings(run.node)
      const prev = previousPath(path)
      if (!existsSync(prev))
        throw new NodeCommandError('NOT_FOUND', `there is no previous version of ${path}`)
      if (!existsSync(path)) throw new NodeCommandError('NOT_FOUND', `${path} does not exist`)
      const before = await readCurrent(path, maxBytes)
      if (p.expectedHash !== undefined && p.expectedHash !== before.hash) {
        throw new NodeCommandError(
          'CONFLICT',
          `${path} changed since it was read (hash ${before.hash ?? 'none'}); not rolled back`,
        )
      }
      await swapWithPrevious(path)
      const after = await readCurrent(path, maxBytes)
      const result: Record<string, unknown> = {
        path,
        hash: after.hash,
        replacedHash: before.hash,
        ...(after.malformed ? { malformed: after.malformed } : {}),
      }
      if (p.restart)
        result.healthy = await restartAndCheck(run.node, run.signal, run.remainingMs, p.waitTimeoutMs)
      return result
    },
  })

  return [get, diff, validateCmd, push, rollback]
}
