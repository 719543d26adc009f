/**
 * `clawops openclaw versions`: which OpenClaw (and gf-clawnode) runs on each instance, asked live from
 * its gf-clawnode (`openclaw.version`: the gateway's startup probe, else the installed files), grouped,
 * with the skew against a target: the version named, else the newest the release location offers,
 * else the newest running. What each instance said is kept (instance_versions) for `fleet status`
 * and the briefings, which never ask the nodes. An instance that does not answer shows what it last
 * reported, marked stale; a version that does not parse is `unknown`, never taken as up to date.
 */
import pMap from 'p-map'
import semver from 'semver'
import type { Context } from '../context.js'
import {
  compareOpenclawVersions,
  parseOpenclawVersion,
  skewOf,
  type VersionSkew,
} from '../domain/openclaw-version.js'
import { UserError } from '../errors.js'
import { selectInstances } from '../fleet/instance-query.js'
import { UpgradeRollouts } from '../store/upgrade-rollouts.js'
import { readReleaseIndex } from './releases.js'

export interface InstanceVersions {
  instanceId: string
  pairId: string
  userId: string
  role: string
  state: string
  openclaw: string | null
  clawnode: string | null
  skew: VersionSkew
  clawnodeSkew: VersionSkew
  /** Not answering now: the versions it last reported (or none). */
  stale: boolean
  checkedAt: string | null
}

export interface VersionGroup {
  version: string | null
  instances: number
  users: number
  skew: VersionSkew
}

export interface SkewCounts {
  behind: number
  at: number
  ahead: number
  unknown: number
}

export interface VersionsView {
  target: { openclaw: string | null; clawnode: string | null; source: string }
  instances: number
  live: boolean
  openclaw: { groups: VersionGroup[]; skew: SkewCounts }
  clawnode: { groups: VersionGroup[]; skew: SkewCounts }
  /** Instances that did not answer now. */
  stale: string[]
  list: InstanceVersions[]
}

export function clawnodeSkewOf(current: string | null, target: string | null): VersionSkew {
  const c = current ? semver.valid(current) : null
  const t = target ? semver.valid(target) : null
  if (!c || !t) return 'unknown'
  const d = semver.compare(c, t)
  return d < 0 ? 'behind' : d > 0 ? 'ahead' : 'at'
}

function newestOpenclaw(versions: readonly (string | null)[]): string | null {
  const parsed = versions.map((v) => parseOpenclawVersion(v)).filter((v) => v !== null)
  parsed.sort(compareOpenclawVersions)
  return parsed.at(-1)?.text ?? null
}

function newestClawnode(versions: readonly (string | null)[]): string | null {
  const valid = versions.filter((v): v is string => !!v && semver.valid(v) !== null)
  return valid.sort(semver.compare).at(-1) ?? null
}

function group(
  list: readonly InstanceVersions[],
  field: 'openclaw' | 'clawnode',
): { groups: VersionGroup[]; skew: SkewCounts } {
  const by = new Map<string | null, InstanceVersions[]>()
  for (const i of list) by.set(i[field], [...(by.get(i[field]) ?? []), i])
  const skewField = field === 'openclaw' ? 'skew' : 'clawnodeSkew'
  const groups = [...by.entries()]
    .map(([version, xs]) => ({
      version,
      instances: xs.length,
      users: new Set(xs.map((x) => x.userId)).size,
      skew: xs[0]![skewField],
    }))
    .sort((a, b) => b.instances - a.instances || String(a.version).localeCompare(String(b.version)))
  const skew: SkewCounts = { behind: 0, at: 0, ahead: 0, unknown: 0 }
  for (const i of list) skew[i[skewField]]++
  return { groups, skew }
}

interface NodeVersion {
  openclaw: { version: string | null }
  clawnode: { version: string }
}

export async function fleetVersions(
  ctx: Context,
  q: { selector?: string; target?: string; clawnodeTarget?: string; live?: boolean; concurrency?: number },
): Promise<VersionsView> {
  if (q.target !== undefined && !parseOpenclawVersion(q.target))
    throw new UserError('INVALID_INPUT', `${JSON.stringify(q.target)} is not an OpenClaw version`, {
      hint: 'OpenClaw versions are dates: 2026.9.6, 2026.9.6-1, 2026.9.6-beta.1.',
    })
  const instances = selectInstances(ctx, { selector: q.selector ?? 'state!=DELETED' }).filter(
    (i) => i.state !== 'DELETED',
  )
  const repo = ctx.store().repo(UpgradeRollouts)
  const live = q.live ?? true
  const answered = new Map<string, NodeVersion>()
  if (live && instances.length) {
    const nodes = await ctx.nodes()
    await pMap(
      instances.filter((i) => i.nodeId),
      async (i) => {
        try {
          const v = await nodes.invoke<NodeVersion>(
            { id: i.id, nodeId: i.nodeId },
            'openclaw.version',
            {},
            10_000,
          )
          answered.set(i.id, v)
        } catch (err) {
          if (err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE') throw err
        }
      },
      { concurrency: q.concurrency ?? 32 },
    )
    ctx.store().tx(() => {
      for (const [id, v] of answered)
        repo.recordVersions(id, { openclaw: v.openclaw.version, clawnode: v.clawnode.version })
    })
  }
  const stored = repo.versions(instances.map((i) => i.id))
  const rows = instances.map((i) => {
    const s = stored.get(i.id)
    return {
      i,
      openclaw: s?.openclaw ?? null,
      clawnode: s?.clawnode ?? null,
      stale: live && !answered.has(i.id),
      checkedAt: s?.checkedAt ?? null,
    }
  })
  let source = 'flag'
  let target = q.target ?? null
  let clawnodeTarget = q.clawnodeTarget ?? null
  if (!target || !clawnodeTarget) {
    let index: Awaited<ReturnType<typeof readReleaseIndex>> | null = null
    try {
      index = await readReleaseIndex(ctx)
    } catch {
      index = null
    }
    if (index) {
      source = q.target ? 'flag' : 'releases'
      target ??= newestOpenclaw(index.openclaw.map((e) => e.version))
      clawnodeTarget ??= newestClawnode(index.clawnode.map((e) => e.version))
    } else {
      source = q.target ? 'flag' : 'fleet'
      target ??= newestOpenclaw(rows.map((r) => r.openclaw))
      clawnodeTarget ??= newestClawnode(rows.map((r) => r.clawnode))
    }
  }
  const list: InstanceVersions[] = rows.map((r) => ({
    instanceId: r.i.id,
    pairId: r.i.pairId,
    userId: r.i.userId,
    role: r.i.role,
    state: r.i.state,
    openclaw: r.openclaw,
    clawnode: r.clawnode,
    skew: skewOf(r.openclaw, target),
    clawnodeSkew: clawnodeSkewOf(r.clawnode, clawnodeTarget),
    stale: r.stale,
    checkedAt: r.checkedAt,
  }))
  return {
    target: { openclaw: target, clawnode: clawnodeTarget, source },
    instances: list.length,
    live,
    openclaw: group(list, 'openclaw'),
    clawnode: group(list, 'clawnode'),
    stale: list.filter((l) => l.stale).map((l) => l.instanceId),
    list,
  }
}
