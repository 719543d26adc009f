import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { auditSshd } from '../../../clawnode/sshd-audit.js'
import { nodeConfig, tempDir, testNode } from '../../support/clawnode-fixtures.js'

describe('host tools that are not installed', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  const missing = (n: string) => join(tmp.dir, 'no-such-bin', n)
  const node = testNode(
    nodeConfig(tmp.dir, {
      bins: {
        docker: missing('docker'),
        tailscale: missing('tailscale'),
        ufw: missing('ufw'),
        nft: missing('nft'),
      },
      sshdConfigPath: join(tmp.dir, 'no-sshd_config'),
    }),
  )

  it('status commands say unavailable, with the reason, instead of inventing a state', async () => {
    expect(await node.call('tailscale.status')).toEqual({
      available: false,
      reason: 'tailscale is not installed on this host',
    })
    expect(await node.call('docker.ps')).toEqual({
      available: false,
      reason: 'docker is not installed on this host',
    })
    expect(await node.call('firewall.status')).toMatchObject({
      available: false,
      backend: null,
      active: null,
    })
    expect(await node.call('ssh.audit')).toMatchObject({ available: false })
  })

  it('mutating docker commands fail with UNAVAILABLE', async () => {
    expect(await node.invoke('docker.restart', { container: 'openclaw' })).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    })
    expect(await node.invoke('docker.logs', { container: 'openclaw' })).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    })
  })

  it('refuses container and image names that could be read as flags or paths', async () => {
    for (const container of ['-v', '--rm', 'a b', '../x', '']) {
      expect(await node.invoke('docker.restart', { container })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_PARAMS' },
      })
    }
    for (const image of ['--help', 'ghcr.io/../x', 'a b', 'UPPER/case']) {
      expect(await node.invoke('docker.pull', { image })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_PARAMS' },
      })
    }
  })
})

describe('ssh.audit', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('follows sshd semantics: first value wins, Include in place, Match blocks are not global, defaults apply', async () => {
    mkdirSync(join(tmp.dir, 'sshd_config.d'))
    writeFileSync(
      join(tmp.dir, 'sshd_config.d', '10-hardening.conf'),
      'PasswordAuthentication no\nPermitRootLogin yes\n',
    )
    writeFileSync(join(tmp.dir, 'sshd_config.d', '20-late.conf'), 'PasswordAuthentication yes\n')
    writeFileSync(
      join(tmp.dir, 'sshd_config'),
      [
        '# sample',
        'Include sshd_config.d/*.conf',
        'PermitRootLogin no',
        'Port 2222',
        'Match User backup',
        '  PermitEmptyPasswords yes',
        '',
      ].join('\n'),
    )
    const a = await auditSshd(join(tmp.dir, 'sshd_config'))
    expect(a.settings).toMatchObject({
      passwordauthentication: 'no',
      permitrootlogin: 'yes',
      port: '2222',
      permitemptypasswords: 'no',
    })
    expect(a.findings.map((f) => f.setting)).toEqual(['PermitRootLogin'])
    expect(a.files).toHaveLength(3)
  })

  it('flags sshd defaults that allow passwords', async () => {
    writeFileSync(join(tmp.dir, 'plain'), 'Port 22\n')
    const a = await auditSshd(join(tmp.dir, 'plain'))
    expect(a.findings).toEqual([
      expect.objectContaining({ setting: 'PasswordAuthentication', severity: 'warning' }),
    ])
  })
})
