/**
 * A lab server boots as a VPS does: any cloud-init or shell user data runs (for real, with the lab's
 * system commands), the server comes up whatever the user data does, and only a machine left running
 * a gf-clawnode unit gets a node. A reboot starts the enabled units again without re-running the
 * user data.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderCloudInit } from '../../../src/lib/bootstrap/cloud-init.js'
import { renderPostInstallScript } from '../../../src/lib/bootstrap/post-install.js'
import type { BootstrapInput } from '../../../src/lib/bootstrap/vps-setup.js'
import type { BootServer } from '../../../src/lib/lab/cloud/boot-driver.js'
import { virtualNodeDriver } from '../../../src/lib/lab/virtual-node-driver.js'
import { bootVps } from '../../../src/lib/lab/vps/boot.js'
import { installShims, LAB_STATE_DIR } from '../../../src/lib/lab/vps/shims.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { CREDS, eventually, startLab, TUNING } from '../providers/lab-fixture.js'
import { type LabTailnet, startTailnetFixture } from './tailnet-fixture.js'

const labDir = mkdtempSync(join(tmpdir(), 'clawops-vps-boot-'))
const shims = installShims(join(labDir, 'shims'))
let tailnet: LabTailnet
let n = 0

beforeAll(async () => {
  tailnet = await startTailnetFixture()
})
afterAll(async () => {
  await tailnet.stop()
  rmSync(labDir, { recursive: true, force: true })
})

const input = (authKey: string | null): BootstrapInput => ({
  instanceId: 'i-bootbootbo',
  hostname: 'claw-u-p-bootbo',
  operatorGatewayUrl: 'ws://127.0.0.1:9',
  firstContact: { bootstrapToken: 'bootstrap-token-0123456789' },
  joinSecret: 'join-secret-0123456789abcdef',
  tailscale: authKey ? { authKey, tags: ['tag:clawops-lab'] } : null,
  openclaw: { image: 'ghcr.io/openclaw/openclaw:2026.9.6', userConfig: { gateway: { mode: 'local' } } },
  clawnodePackage: 'clawops@0.1.0',
})

const server = (provider: BootServer['provider'], userData: string | null): BootServer => ({
  provider,
  id: String(++n),
  name: `claw-boot-${n}`,
  region: 'x',
  plan: 'x',
  image: 'x',
  ipv4: '198.18.0.1',
  ipv6: '2001:db8::1',
  userData,
  labels: {},
})

const boot = (s: BootServer) => bootVps(labDir, s, { shims, tailscaleUrl: tailnet.registerUrl })
const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8')

describe('a lab server boots its user data as a VPS would', () => {
  it('runs clawops cloud-init and starts the gf-clawnode the unit names, paths below its root', async () => {
    const s = server('hetzner', renderCloudInit(input(await tailnet.mintKey(['tag:clawops-lab']))))
    const b = await boot(s)
    expect(b.clawnode).not.toBeNull()
    expect(b.clawnode!.userGatewayUp).toBe(true)
    expect(b.clawnode!.config).toMatchObject({
      instanceId: 'i-bootbootbo',
      stateDir: join(b.root, 'var/lib/gf-clawnode'),
      userGateway: { configPath: join(b.root, 'opt/openclaw/state/openclaw.json') },
      service: { kind: 'compose' },
    })
    expect(read(b.root, '/etc/hostname')).toBe('claw-u-p-bootbo\n')
    expect(tailnet.devices().some((d) => d.hostname === 'claw-u-p-bootbo')).toBe(true)
  })

  it("runs Hostinger's post-install script as /post_install and starts its gf-clawnode", async () => {
    const s = server('hostinger', renderPostInstallScript(input(await tailnet.mintKey(['tag:clawops-lab']))))
    const b = await boot(s)
    expect(b.clawnode?.config.instanceId).toBe('i-bootbootbo')
    expect(read(b.root, '/post_install.log')).toContain('clawops-bootstrap: done')
    expect(read(b.root, '/var/log/clawops-bootstrap.log')).toContain('clawops-bootstrap: start gf-clawnode')
  })

  it('a reboot starts what is enabled again (the metadata fence included) without re-running user data', async () => {
    const s = server('vultr', renderCloudInit(input(await tailnet.mintKey(['tag:clawops-lab']))))
    const first = await boot(s)
    const events = read(first.root, `${LAB_STATE_DIR}/events`)
    const again = await boot(s)
    expect(again.clawnode?.config.instanceId).toBe('i-bootbootbo')
    const after = read(first.root, `${LAB_STATE_DIR}/events`).slice(events.length).trim().split('\n')
    expect(after).toContain('iptables -I DOCKER-USER -d 169.254.169.254 -j DROP')
    expect(after).toContain('systemctl start gf-clawnode')
    expect(after.some((e) => e.startsWith('apt-get') || e.startsWith('tailscale up'))).toBe(false)
  })

  it('a single-use key is refused the second time: that script stops before gf-clawnode', async () => {
    const key = await tailnet.mintKey(['tag:clawops-lab'])
    expect((await boot(server('hetzner', renderCloudInit(input(key))))).clawnode).not.toBeNull()
    const second = await boot(server('digitalocean', renderCloudInit(input(key))))
    expect(second.clawnode).toBeNull()
    expect(read(second.root, '/var/log/cloud-init-output.log')).toContain('key has already been used')
  })

  it.each([
    [
      'cloud-init that is not clawops’ (no hostname)',
      'hetzner',
      '#cloud-config\npackages: [htop]\nwrite_files:\n  - path: /etc/motd\n    content: "hello\\n"\nruncmd:\n  - [systemctl, enable, --now, htop]\n',
    ],
    ['a plain shell script', 'vultr', '#!/bin/sh\necho "hello from user data"\n'],
    ['YAML that does not parse', 'digitalocean', '#cloud-config\n: : [\n'],
    ['a format cloud-init does not handle', 'contabo', 'just some text\n'],
    [
      'cloud-config given to Hostinger (no shebang: not executable)',
      'hostinger',
      renderCloudInit(input(null)),
    ],
    [
      'clawops setup without a tailnet to join',
      'hostinger',
      renderPostInstallScript(input('tskey-auth-nope')),
    ],
  ] as const)('%s: boots, runs what it can, starts no node', async (_name, provider, userData) => {
    const b = await boot(server(provider, userData))
    expect(b.clawnode).toBeNull()
    expect(existsSync(join(b.root, LAB_STATE_DIR, 'first-boot-done'))).toBe(true)
  })

  it('logs what a VPS would: cloud-init output, the failed exec, the file written', async () => {
    const shell = await boot(server('vultr', '#!/bin/sh\necho "hello from user data"\n'))
    expect(read(shell.root, '/var/log/cloud-init-output.log')).toContain('hello from user data')
    const other = await boot(
      server('hetzner', '#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: hi\n'),
    )
    expect(read(other.root, '/etc/motd')).toBe('hi')
    const yaml = await boot(server('hetzner', '#cloud-config\n: : [\n'))
    expect(read(yaml.root, '/var/log/cloud-init-output.log')).toContain('Failed loading yaml blob')
    const hs = await boot(server('hostinger', '#cloud-config\nhostname: x\n'))
    expect(read(hs.root, '/post_install.log')).toContain('Exec format error')
  })
})

describe('the provider reports such a server running', () => {
  it('whatever its user data does', async () => {
    const fx = await startLab({
      driver: virtualNodeDriver({ dir: labDir, logger: pino({ enabled: false }) }),
    })
    try {
      const hz = new HetznerAdapter({
        ...CREDS.hetzner,
        baseUrl: fx.lab.endpoints.hetzner.baseUrl,
        ...TUNING,
      })
      const r = await hz.create({
        name: 'claw-plain',
        plan: 'cx23',
        region: 'nbg1',
        userData: '#!/bin/sh\nexit 3\n',
      })
      expect((await hz.waitFor(r.pending, { timeoutMs: 5000 }))?.status).toBe('running')
      await eventually(
        () =>
          existsSync(
            join(labDir, 'nodes', `hetzner-${r.server.id}`, 'root', LAB_STATE_DIR, 'first-boot-done'),
          ),
        10_000,
      )
      expect(
        read(join(labDir, 'nodes', `hetzner-${r.server.id}`, 'root'), '/var/log/cloud-init-output.log'),
      ).toContain('exited 3')
    } finally {
      await fx.stop()
    }
  })
})
