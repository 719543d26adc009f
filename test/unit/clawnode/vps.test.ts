import os from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import {
  cpuBusyPct,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseOsRelease,
  parseProcStat,
} from '../../../clawnode/proc.js'
import { nodeConfig, tempDir, testNode } from '../../support/clawnode-fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON from the wire, checked by the assertions
type Wire = Record<string, any>

describe('/proc parsers', () => {
  it('meminfo', () => {
    const m = parseMeminfo(
      'MemTotal:       24684032 kB\nMemFree:        23001000 kB\nMemAvailable:   23500000 kB\nHugePages_Total:       0\n',
    )
    expect(m).toMatchObject({ MemTotal: 24684032 * 1024, MemAvailable: 23500000 * 1024, HugePages_Total: 0 })
  })
  it('stat and cpu busy', () => {
    const a = parseProcStat('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n')
    const b = parseProcStat('cpu  150 0 150 900 0 0 0 0 0 0\n')
    expect(a).toEqual({ idle: 800, total: 1000 })
    expect(cpuBusyPct(a, b)).toBe(50)
  })
  it('net/dev', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000000    4000    1    0    0     0          0         0  2000000    3000    2    0    0     0       0          0`
    expect(parseNetDev(text)).toEqual([
      { iface: 'lo', rxBytes: 1000, rxErrors: 0, txBytes: 1000, txErrors: 0 },
      { iface: 'eth0', rxBytes: 5000000, rxErrors: 1, txBytes: 2000000, txErrors: 2 },
    ])
  })
  it('mounts keep real filesystems only', () => {
    const text =
      'proc /proc proc rw 0 0\n/dev/vda1 / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/vdb /mnt/my\\040data xfs rw 0 0\n'
    expect(parseMounts(text).map((m) => m.mount)).toEqual(['/', '/run', '/mnt/my data'])
  })
  it('os-release', () => {
    expect(parseOsRelease('NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\n')).toEqual({
      NAME: 'Ubuntu',
      VERSION_ID: '24.04',
      ID: 'ubuntu',
    })
  })
})

describe('vps.* on this host', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  const node = testNode(nodeConfig(tmp.dir))

  it('vps.health reports this machine', async () => {
    const h = await node.call<Wire>('vps.health')
    expect(h.hostname).toBe(os.hostname())
    expect(h.cpuCount).toBe(os.availableParallelism())
    expect(h.memory.totalBytes).toBe(os.totalmem())
    expect(h.disk.totalBytes).toBeGreaterThan(0)
    expect(h.disk.usedPct).toBeGreaterThanOrEqual(0)
    expect(['ok', 'degraded']).toContain(h.status)
    expect(h.instanceId).toBe('vps-test')
  })

  it('vps.metrics samples CPU and network', async () => {
    const m = await node.call<Wire>('vps.metrics', { sampleMs: 100 })
    expect(m.cpu.busyPct).toBeGreaterThanOrEqual(0)
    expect(m.cpu.busyPct).toBeLessThanOrEqual(100)
    expect(m.disks.length).toBeGreaterThan(0)
    expect(Array.isArray(m.network)).toBe(true)
  })

  it('vps.info includes identity, kernel and addresses', async () => {
    const i = await node.call<Wire>('vps.info')
    expect(i).toMatchObject({
      kernel: os.release(),
      arch: os.arch(),
      deviceId: 'd'.repeat(64),
      service: { kind: 'none' },
    })
  })

  it('vps.probe answers vps.health, vps.metrics and openclaw.health in one call, each as its own command would', async () => {
    const p = await node.call<Wire>('vps.probe', { sampleMs: 100 })
    expect(p.instanceId).toBe('vps-test')
    expect(Object.keys(p.parts)).toEqual(['vps.health', 'vps.metrics', 'openclaw.health'])
    expect(p.parts['vps.health']).toMatchObject({ ok: true, payload: { hostname: os.hostname() } })
    expect(p.parts['vps.metrics']).toMatchObject({ ok: true, payload: { sampleMs: 100 } })
    // No user gateway runs here: openclaw.health still answers, saying so.
    expect(p.parts['openclaw.health']).toMatchObject({ ok: true, payload: { live: false, healthy: false } })
    expect(await node.invoke('vps.probe', { sampleMs: 1 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    })
  })

  it('vps.reboot is UNAVAILABLE unless a reboot command is configured', async () => {
    expect(await node.invoke('vps.reboot', {})).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } })
  })
})
