/**
 * One VPS setup, two renderings: cloud-init user data and Hostinger's post-install script. Both are
 * run for real the way the lab boots a server (sh/bash with the lab's system commands), and must
 * leave the same machine behind: the same files with the same modes and contents, the same packages,
 * units, firewall rule, Compose project, tailnet join and npm install, in the same order.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { renderCloudInit } from '../../../src/lib/bootstrap/cloud-init.js'
import { renderPostInstallScript } from '../../../src/lib/bootstrap/post-install.js'
import {
  type BootstrapInput,
  CLAWNODE_CONFIG_PATH,
  USER_CONFIG_PATH,
  vpsSetup,
} from '../../../src/lib/bootstrap/vps-setup.js'
import { firstBoot, runIn } from '../../../src/lib/lab/vps/first-boot.js'
import { installShims, LAB_STATE_DIR } from '../../../src/lib/lab/vps/shims.js'
import { type LabTailnet, startTailnetFixture } from '../lab/tailnet-fixture.js'

const tmp = mkdtempSync(join(tmpdir(), 'clawops-renderings-'))
const shims = installShims(join(tmp, 'shims'))
let tailnet: LabTailnet

beforeAll(async () => {
  tailnet = await startTailnetFixture()
})
afterAll(async () => {
  await tailnet.stop()
  rmSync(tmp, { recursive: true, force: true })
})

const base: Omit<BootstrapInput, 'tailscale'> = {
  instanceId: 'i-7k2m9x4q1d',
  hostname: 'claw-u-3fz8k1qa-p-7k2m9x',
  operatorGatewayUrl: 'wss://ops.tailnet.ts.net',
  firstContact: { bootstrapToken: 'bootstrap-token-0123456789' },
  joinSecret: 'join-secret-0123456789abcdef',
  openclaw: { image: 'ghcr.io/openclaw/openclaw:2026.9.6', userConfig: { gateway: { mode: 'local' } } },
  clawnodePackage: 'clawops@0.1.0',
}

/** Files below a root (the lab's own bookkeeping and the logs aside), with mode and content. */
function machine(root: string): Record<string, { mode: string; content: string }> {
  const out: Record<string, { mode: string; content: string }> = {}
  const skip = [LAB_STATE_DIR, '/var/log', '/var/lib/cloud', '/post_install', '/post_install.log']
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      const rel = `/${relative(root, p)}`
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue
      if (e.isDirectory()) walk(p)
      else out[rel] = { mode: (statSync(p).mode & 0o777).toString(8), content: readFileSync(p, 'utf8') }
    }
  }
  walk(root)
  return out
}

const state = (root: string, name: string) => {
  try {
    return readFileSync(join(root, LAB_STATE_DIR, name), 'utf8')
      .trim()
      .split('\n')
  } catch {
    return []
  }
}

async function boot(name: string, provider: 'hetzner' | 'hostinger', userData: string) {
  const root = join(tmp, name)
  await firstBoot({ root, shims, tailscaleUrl: tailnet.registerUrl }, provider, userData)
  return root
}

describe('the VPS setup rendered two ways', () => {
  it('leaves the same machine behind, whether run as cloud-init or as the post-install script', async () => {
    const keys = [await tailnet.mintKey(['tag:clawops-gw']), await tailnet.mintKey(['tag:clawops-gw'])]
    const input = (authKey: string): BootstrapInput => ({
      ...base,
      tailscale: { authKey, tags: ['tag:clawops-gw'] },
    })
    const ci = await boot('ci', 'hetzner', renderCloudInit(input(keys[0]!)))
    const sh = await boot('sh', 'hostinger', renderPostInstallScript(input(keys[1]!)))

    // The only difference: each carries its own one-time key.
    const a = machine(ci)
    const b = machine(sh)
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort())
    for (const path of Object.keys(a)) expect(b[path], path).toEqual(a[path])
    expect(a[CLAWNODE_CONFIG_PATH]).toMatchObject({ mode: '600' })
    expect(a[USER_CONFIG_PATH]).toMatchObject({ mode: '600' })
    expect(a['/etc/hostname']!.content).toBe(`${base.hostname}\n`)

    const events = state(ci, 'events')
    expect(state(sh, 'events')).toEqual(events)
    expect(events).toEqual([
      `hostname ${base.hostname}`,
      'apt-get update',
      'apt-get install docker.io',
      'apt-get install docker-compose-v2',
      'apt-get install nodejs',
      'apt-get install npm',
      'apt-get install iptables',
      'systemctl enable docker',
      'systemctl start docker',
      'systemctl daemon-reload',
      'systemctl enable clawops-metadata-fence',
      'systemctl start clawops-metadata-fence',
      'iptables -I DOCKER-USER -d 169.254.169.254 -j DROP',
      'docker compose up /opt/openclaw/docker-compose.yml',
      'curl https://tailscale.com/install.sh',
      'apt-get install tailscale',
      `tailscale up --hostname=${base.hostname} --advertise-tags=tag:clawops-gw`,
      'npm install clawops@0.1.0',
      'systemctl enable gf-clawnode',
      'systemctl start gf-clawnode',
    ])
    for (const root of [ci, sh]) {
      expect(state(root, 'run/started')).toEqual(
        expect.arrayContaining(['docker', 'clawops-metadata-fence', 'tailscaled', 'gf-clawnode']),
      )
      expect(state(root, 'run/iptables')).toEqual(['DOCKER-USER -d 169.254.169.254 -j DROP'])
    }
    // Each key joined exactly one device.
    expect(tailnet.devices().map((d) => d.hostname)).toEqual([base.hostname, base.hostname])
  })

  it('the post-install script can run again: same machine, the user config kept, the key not presented twice', async () => {
    const key = await tailnet.mintKey(['tag:clawops-gw'])
    const script = renderPostInstallScript({ ...base, tailscale: { authKey: key, tags: ['tag:clawops-gw'] } })
    const root = await boot('twice', 'hostinger', script)
    const before = machine(root)
    const pushed = '{"gateway":{"mode":"local","pushed":true}}\n'
    writeFileSync(join(root, USER_CONFIG_PATH), pushed)
    const code = await runIn(
      { root, shims, tailscaleUrl: tailnet.registerUrl },
      [join(root, 'post_install')],
      '/var/log/rerun.log',
    )
    expect(code, readFileSync(join(root, 'var/log/rerun.log'), 'utf8')).toBe(0)
    expect(machine(root)).toEqual({ ...before, [USER_CONFIG_PATH]: { mode: '600', content: pushed } })
    expect(state(root, 'events').filter((e) => e.startsWith('tailscale up'))).toHaveLength(1)
    expect(tailnet.devices().filter((d) => d.hostname === base.hostname)).toHaveLength(3)
  })

  it('cloud-init carries every step of the setup', () => {
    const input = { ...base, tailscale: { authKey: 'tskey-auth-kX-abc', tags: ['tag:clawops-gw'] } }
    const setup = vpsSetup(input)
    const doc = parse(renderCloudInit(input)) as {
      hostname: string
      write_files: { path: string; permissions: string; content: string }[]
      packages: string[]
      runcmd: string[]
    }
    expect(doc.hostname).toBe(setup.hostname)
    expect(doc.write_files).toEqual(
      setup.files.map((f) => ({ path: f.path, permissions: f.mode, content: f.content })),
    )
    expect(doc.packages).toEqual(setup.packages)
    expect(doc.runcmd).toEqual(['set -e', ...setup.commands.map((c) => c.run)])
  })

  it('the post-install script starts with a shebang, stops at the first failed step and logs to a file', () => {
    const text = renderPostInstallScript({ ...base, tailscale: null })
    expect(text.startsWith('#!/bin/bash\n')).toBe(true)
    expect(text).toContain('set -euo pipefail')
    expect(text).toContain('/var/log/clawops-bootstrap.log')
    for (const c of vpsSetup({ ...base, tailscale: null }).commands) expect(text).toContain(`\n${c.run}\n`)
    expect(text).not.toContain('tailscale up')
  })

  it('user data too large for the provider is refused before any server is bought', () => {
    const huge = {
      ...base,
      tailscale: null,
      openclaw: { ...base.openclaw, userConfig: { blob: 'x'.repeat(60_000) } },
    }
    expect(() => renderCloudInit(huge)).toThrow(/exceeds 32768 bytes/)
    expect(() => renderPostInstallScript(huge)).toThrow(/exceeds 49152 bytes/)
  })
})
