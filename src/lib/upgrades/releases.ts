/**
 * The operator's release location as clawops reads it: `<upgrades.releasesUrl>/index.json` names
 * each OpenClaw build and gf-clawnode release with its file and SHA-256. An upgrade plan names the
 * release it installs, so a confirmation is for those exact bytes (a changed index makes the plan
 * stale); nodes fetch the file from the same location and check it against that checksum.
 */
import { z } from 'zod'
import type { Context } from '../context.js'
import { parseOpenclawVersion } from '../domain/openclaw-version.js'
import { UserError } from '../errors.js'
import type { ReleaseRef } from '../store/upgrade-rollouts.js'
import { upgradeSettings } from './settings.js'

export type UpgradeWhat = 'openclaw' | 'clawnode'

const Entry = z.looseObject({
  version: z.string().min(1).max(64),
  path: z.string().regex(/^[A-Za-z0-9._+/-]+$/),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  size: z.number().int().min(0),
  note: z.string().optional(),
})
const Index = z.looseObject({
  openclaw: z.array(Entry).default([]),
  'gf-clawnode': z.array(Entry).default([]),
})
export type ReleaseIndexEntry = z.infer<typeof Entry>

export async function readReleaseIndex(
  ctx: Context,
): Promise<{ url: string; openclaw: ReleaseIndexEntry[]; clawnode: ReleaseIndexEntry[] }> {
  const base = upgradeSettings(ctx.config()).releasesUrl
  if (!base)
    throw new UserError('CONFIG_INVALID', 'no release location is configured (upgrades.releasesUrl)', {
      hint: 'Set upgrades.releasesUrl in config.json to where your OpenClaw builds and gf-clawnode releases are served (the lab sets it).',
    })
  const url = `${base.replace(/\/+$/, '')}/index.json`
  let body: unknown
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    body = await res.json()
  } catch (err) {
    throw new UserError('CONFIG_INVALID', `cannot read the release index ${url}: ${(err as Error).message}`, {
      hint: 'Check upgrades.releasesUrl and that the location serves index.json.',
    })
  }
  const parsed = Index.safeParse(body)
  if (!parsed.success)
    throw new UserError('CONFIG_INVALID', `the release index ${url} is not in the expected shape`, {
      details: { issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) },
    })
  return { url: base, openclaw: parsed.data.openclaw, clawnode: parsed.data['gf-clawnode'] }
}

/** The release of `version`, checked: an OpenClaw version must be date-style. */
export async function resolveRelease(ctx: Context, what: UpgradeWhat, version: string): Promise<ReleaseRef> {
  if (what === 'openclaw' && !parseOpenclawVersion(version))
    throw new UserError('INVALID_INPUT', `${JSON.stringify(version)} is not an OpenClaw version`, {
      hint: 'OpenClaw versions are dates: 2026.9.6, a correction 2026.9.6-1, a prerelease 2026.9.6-beta.1.',
    })
  if (what === 'clawnode' && !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version))
    throw new UserError('INVALID_INPUT', `${JSON.stringify(version)} is not a gf-clawnode version`, {
      hint: 'gf-clawnode versions are semver, e.g. 0.1.1.',
    })
  const index = await readReleaseIndex(ctx)
  const list = what === 'openclaw' ? index.openclaw : index.clawnode
  const e = list.find((x) => x.version === version)
  if (!e)
    throw new UserError(
      'NOT_FOUND',
      `the release location has no ${what === 'openclaw' ? 'OpenClaw' : 'gf-clawnode'} ${version}`,
      {
        hint: `Available: ${list.map((x) => x.version).join(', ') || 'none'}.`,
        details: { available: list.map((x) => x.version) },
      },
    )
  return { version: e.version, path: e.path, sha256: e.sha256, size: e.size }
}
