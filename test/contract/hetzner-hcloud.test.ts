/**
 * Hetzner: the official `hcloud` CLI (Debian package hcloud-cli, built on hetznercloud/hcloud-go)
 * runs unchanged against the lab: catalogue look-ups by name, create with labels, list with a label
 * selector and pagination, describe, every power action, change-type, protection, a snapshot
 * (create-image, listed and described as an image, kept after its server, deleted), delete, and a
 * wrong token. CI installs the package (.ci/run); without the binary this file fails in CI.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ContractLab, contractLab, until } from './support/lab.js'

const hasHcloud = spawnSync('sh', ['-c', 'command -v hcloud']).status === 0
if (!hasHcloud && !process.env.CI) {
  process.stderr.write('hcloud CLI tests not run: hcloud missing (apt-get install hcloud-cli)\n')
}

let fx: ContractLab
const config = join(mkdtempSync(join(tmpdir(), 'clawops-hcloud-')), 'cli.toml')

function hcloud(args: string[], token = fx.creds.hetzner.token) {
  return execa('hcloud', args, {
    reject: false,
    env: {
      HCLOUD_ENDPOINT: fx.lab.endpoints.hetzner.baseUrl,
      HCLOUD_TOKEN: token,
      HCLOUD_CONFIG: config,
      // --poll-interval's default (500 ms) makes every wait slow against a lab that acts in 30 ms.
    },
    extendEnv: true,
    timeout: 30_000,
  })
}

async function ok(args: string[]): Promise<string> {
  const r = await hcloud(['--poll-interval', '50ms', ...args])
  expect(r.exitCode, `hcloud ${args.join(' ')}: ${r.stderr}`).toBe(0)
  return r.stdout
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, '-o', 'json'])) as T
}

interface Server {
  id: number
  name: string
  status: string
  labels: Record<string, string>
  server_type: { name: string }
  datacenter: { name: string; location: { name: string } }
  image: { name: string }
  protection: { delete: boolean; rebuild: boolean }
}

beforeAll(async () => {
  fx = await contractLab()
})
afterAll(() => fx?.stop())

describe.runIf(hasHcloud || process.env.CI)('hcloud CLI against the lab', () => {
  it('is installed (CI installs hcloud-cli)', async () => {
    expect(hasHcloud, 'hcloud is missing: apt-get install hcloud-cli').toBe(true)
  })

  it('lists and looks up the catalogue by name: server types, images, locations, datacenters', async () => {
    expect(await ok(['server-type', 'list'])).toMatch(/cx23/)
    // A lookup by name must return that one, not the first of the list.
    expect(await ok(['server-type', 'describe', 'cx43'])).toMatch(/Name:\s+cx43/)
    expect(await ok(['location', 'describe', 'hel1'])).toMatch(/Name:\s+hel1/)
    expect(await ok(['datacenter', 'describe', 'ash-dc5'])).toMatch(/Name:\s+ash-dc5/)
    expect(await ok(['image', 'describe', 'debian-12'])).toMatch(/Name:\s+debian-12/)
    expect(await ok(['image', 'list'])).toMatch(/ubuntu-24\.04/)
    expect(await ok(['datacenter', 'list'])).toMatch(/fsn1-dc3/)
    const missing = await hcloud(['server-type', 'describe', 'cx999'])
    expect(missing.exitCode).not.toBe(0)
    expect(missing.stderr).toMatch(/not found/)
  })

  it('creates a server (its image sent by id) with labels, in a location and in a datacenter', async () => {
    const out = await ok([
      'server',
      'create',
      '--name',
      'claw-cli-1',
      '--type',
      'cx23',
      '--image',
      'ubuntu-24.04',
      '--location',
      'nbg1',
      '--label',
      'clawops/fleet=contract',
      '--label',
      'clawops/role=primary',
    ])
    expect(out).toMatch(/Server \d+ created/)
    const s = await json<Server>(['server', 'describe', 'claw-cli-1'])
    expect(s).toMatchObject({
      name: 'claw-cli-1',
      status: 'running',
      server_type: { name: 'cx23' },
      image: { name: 'ubuntu-24.04' },
      datacenter: { location: { name: 'nbg1' } },
      labels: { 'clawops/fleet': 'contract', 'clawops/role': 'primary' },
    })
    // hcloud-go sends the image it looked up by its id, which the API accepts as well as a name.
    const create = fx.seen.find(
      (r) => r.provider === 'hetzner' && r.method === 'POST' && r.path === '/servers',
    )
    expect(create?.body).toMatchObject({ server_type: 'cx23', image: 161547269 })

    await ok(['server', 'create', '--name', 'claw-cli-2', '--type', 'cx33', '--image', 'debian-12'])
    await ok([
      ...['server', 'create', '--name', 'claw-cli-3', '--type', 'cx23', '--image', 'ubuntu-22.04'],
      ...['--datacenter', 'hel1-dc4'],
    ])
    expect(await json<Server>(['server', 'describe', 'claw-cli-3'])).toMatchObject({
      datacenter: { name: 'hel1-dc4', location: { name: 'hel1' } },
    })
    const taken = await hcloud([
      'server',
      'create',
      '--name',
      'claw-cli-2',
      '--type',
      'cx23',
      '--image',
      'debian-12',
    ])
    expect(taken.exitCode).not.toBe(0)
    expect(taken.stderr).toMatch(/uniqueness_error/)
  })

  it('lists with a label selector, and pages through more than one page', async () => {
    const picked = await json<Server[]>(['server', 'list', '-l', 'clawops/role=primary'])
    expect(picked.map((s) => s.name)).toEqual(['claw-cli-1'])
    fx.lab.seed({ provider: 'hetzner', count: 70, labels: { 'clawops/fleet': 'paged' } })
    const paged = await json<Server[]>(['server', 'list', '-l', 'clawops/fleet=paged'])
    expect(paged).toHaveLength(70)
    expect(new Set(paged.map((s) => s.id)).size).toBe(70)
    // hcloud-go asked for page 2: the 70 came from two pages of 50.
    const pages = fx.seen.filter(
      (r) => r.path === '/servers' && r.query.get('label_selector') === 'clawops/fleet=paged',
    )
    expect(pages.map((r) => r.query.get('page'))).toEqual(['1', '2'])
  })

  it('powers off, changes type, powers on, reboots, shuts down and resets, waiting on each action', async () => {
    await ok(['server', 'poweroff', 'claw-cli-1'])
    expect((await json<Server>(['server', 'describe', 'claw-cli-1'])).status).toBe('off')
    await ok(['server', 'change-type', '--keep-disk', 'claw-cli-1', 'cx33'])
    expect((await json<Server>(['server', 'describe', 'claw-cli-1'])).server_type.name).toBe('cx33')
    await ok(['server', 'poweron', 'claw-cli-1'])
    expect((await json<Server>(['server', 'describe', 'claw-cli-1'])).status).toBe('running')
    await ok(['server', 'reboot', 'claw-cli-1'])
    await ok(['server', 'shutdown', 'claw-cli-1'])
    await until(async () => (await json<Server>(['server', 'describe', 'claw-cli-1'])).status === 'off')
    await ok(['server', 'reset', 'claw-cli-1'])
    expect((await json<Server>(['server', 'describe', 'claw-cli-1'])).status).toBe('running')
    // change-type on a running server is refused with the API's own code.
    const running = await hcloud(['server', 'change-type', '--keep-disk', 'claw-cli-1', 'cx43'])
    expect(running.exitCode).not.toBe(0)
    expect(running.stderr).toMatch(/server_not_stopped/)
  })

  it('takes a snapshot with create-image: an image of type snapshot, kept after its server, deleted', async () => {
    await ok(['server', 'create', '--name', 'claw-cli-snap', '--type', 'cx23', '--image', 'ubuntu-24.04'])
    const out = await ok([
      ...['server', 'create-image', '--type', 'snapshot', '--description', 'clawops-0123456789ab'],
      ...['--label', 'clawops/snapshot=clawops-0123456789ab', 'claw-cli-snap'],
    ])
    const id = /Image (\d+) created/.exec(out)?.[1]
    expect(id, out).toBeDefined()
    interface Image {
      id: number
      type: string
      status: string
      description: string
      created_from: { id: number; name: string }
      labels: Record<string, string>
    }
    const img = await json<Image>(['image', 'describe', id!])
    expect(img).toMatchObject({
      type: 'snapshot',
      status: 'available',
      description: 'clawops-0123456789ab',
      created_from: { name: 'claw-cli-snap' },
      labels: { 'clawops/snapshot': 'clawops-0123456789ab' },
    })
    const snaps = await json<Image[]>(['image', 'list', '--type', 'snapshot', '-l', 'clawops/snapshot'])
    expect(snaps.map((i) => i.id)).toEqual([Number(id)])
    await ok(['server', 'delete', 'claw-cli-snap'])
    await until(async () => !fx.lab.servers('hetzner').some((s) => s.name === 'claw-cli-snap'))
    expect((await json<Image>(['image', 'describe', id!])).id).toBe(Number(id))
    await ok(['image', 'delete', id!])
    const gone = await hcloud(['image', 'describe', id!])
    expect(gone.exitCode).not.toBe(0)
    expect(gone.stderr).toMatch(/not found/)
    // A system image is not the account's to delete.
    const system = await hcloud(['image', 'delete', 'ubuntu-24.04'])
    expect(system.exitCode).not.toBe(0)
  })

  it('protects a server from deletion, then deletes it once unprotected', async () => {
    await ok(['server', 'enable-protection', 'claw-cli-2', 'delete', 'rebuild'])
    expect((await json<Server>(['server', 'describe', 'claw-cli-2'])).protection).toEqual({
      delete: true,
      rebuild: true,
    })
    const refused = await hcloud(['server', 'delete', 'claw-cli-2'])
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/protected/)
    expect(fx.lab.servers('hetzner').some((s) => s.name === 'claw-cli-2')).toBe(true)
    await ok(['server', 'disable-protection', 'claw-cli-2', 'delete', 'rebuild'])
    await ok(['server', 'delete', 'claw-cli-2'])
    await until(async () => !fx.lab.servers('hetzner').some((s) => s.name === 'claw-cli-2'))
    const gone = await hcloud(['server', 'describe', 'claw-cli-2'])
    expect(gone.exitCode).not.toBe(0)
    expect(gone.stderr).toMatch(/not found/)
  })

  it('gets the API’s 401 for a wrong token', async () => {
    const r = await hcloud(['server', 'list'], 'not-the-token')
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr).toMatch(/unable to authenticate \(unauthorized\)/)
  })
})
