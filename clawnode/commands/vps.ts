/** vps.health, vps.metrics, vps.info, vps.reboot: the host itself, read from /proc and the OS. */
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import {
  cpuBusyPct,
  readCpuTimes,
  readDisk,
  readDisks,
  readMemory,
  readNetDev,
  readOsRelease,
  round1,
} from '../proc.js'
import { runArgv } from '../run.js'
import { NodeCommandError } from './errors.js'
import { defineCommand } from './registry.js'

const Empty = z.object({}).strict()

const THRESHOLDS = { diskPct: 90, memPct: 90, loadPerCpu: 2 }

export function vpsCommands() {
  const health = defineCommand({
    name: 'vps.health',
    params: Empty,
    timeoutMs: 5_000,
    async run(_p, { node: ctx }) {
      const [memory, disk] = await Promise.all([readMemory(), readDisk('/')])
      const load = os.loadavg().map(round1) as [number, number, number]
      const cpuCount = os.availableParallelism()
      const problems: string[] = []
      if (disk.usedPct >= THRESHOLDS.diskPct) problems.push(`disk / at ${disk.usedPct}%`)
      if (memory.usedPct >= THRESHOLDS.memPct) problems.push(`memory at ${memory.usedPct}%`)
      if (load[0] >= cpuCount * THRESHOLDS.loadPerCpu) problems.push(`load ${load[0]} on ${cpuCount} CPUs`)
      return {
        instanceId: ctx.instanceId,
        status: problems.length ? 'degraded' : 'ok',
        problems,
        hostname: os.hostname(),
        uptimeSec: Math.round(os.uptime()),
        load,
        cpuCount,
        memory: {
          totalBytes: memory.totalBytes,
          availableBytes: memory.availableBytes,
          usedPct: memory.usedPct,
        },
        disk: { totalBytes: disk.totalBytes, availableBytes: disk.availableBytes, usedPct: disk.usedPct },
        nodeUptimeSec: Math.round((Date.now() - ctx.startedAt) / 1000),
        ts: new Date().toISOString(),
      }
    },
  })

  const metrics = defineCommand({
    name: 'vps.metrics',
    params: z.object({ sampleMs: z.number().int().min(50).max(5_000).default(250) }).strict(),
    timeoutMs: 10_000,
    async run(p, run) {
      const ctx = run.node
      const cpu0 = await readCpuTimes()
      const net0 = await readNetDev()
      await sleep(p.sampleMs, undefined, { signal: run.signal })
      const [cpu1, net1, memory, disks] = await Promise.all([
        readCpuTimes(),
        readNetDev(),
        readMemory(),
        readDisks(),
      ])
      const secs = p.sampleMs / 1000
      const network = net1
        .filter((n) => n.iface !== 'lo')
        .map((n) => {
          const before = net0.find((b) => b.iface === n.iface)
          return {
            iface: n.iface,
            rxBytes: n.rxBytes,
            txBytes: n.txBytes,
            rxErrors: n.rxErrors,
            txErrors: n.txErrors,
            rxBytesPerSec: before ? Math.round((n.rxBytes - before.rxBytes) / secs) : null,
            txBytesPerSec: before ? Math.round((n.txBytes - before.txBytes) / secs) : null,
          }
        })
      return {
        instanceId: ctx.instanceId,
        sampleMs: p.sampleMs,
        cpu: {
          busyPct: cpuBusyPct(cpu0, cpu1),
          count: os.availableParallelism(),
          load: os.loadavg().map(round1),
        },
        memory,
        disks,
        network,
        process: { rssBytes: process.memoryUsage().rss, uptimeSec: Math.round(process.uptime()) },
        ts: new Date().toISOString(),
      }
    },
  })

  const info = defineCommand({
    name: 'vps.info',
    params: Empty,
    async run(_p, { node: ctx }) {
      const rel = await readOsRelease()
      const cpus = os.cpus()
      const addresses = Object.entries(os.networkInterfaces()).flatMap(([iface, list]) =>
        (list ?? []).filter((a) => !a.internal).map((a) => ({ iface, family: a.family, address: a.address })),
      )
      return {
        instanceId: ctx.instanceId,
        deviceId: ctx.deviceId,
        hostname: os.hostname(),
        os: {
          id: rel.ID ?? null,
          name: rel.PRETTY_NAME ?? rel.NAME ?? null,
          version: rel.VERSION_ID ?? null,
        },
        kernel: os.release(),
        arch: os.arch(),
        cpu: { model: cpus[0]?.model ?? null, count: cpus.length },
        memoryTotalBytes: os.totalmem(),
        bootTime: new Date(Date.now() - os.uptime() * 1000).toISOString(),
        addresses,
        clawnode: { version: ctx.version, node: process.version, pid: process.pid },
        service: { kind: ctx.services.kind },
      }
    },
  })

  const reboot = defineCommand({
    name: 'vps.reboot',
    params: z.object({ reason: z.string().max(200).optional() }).strict(),
    async run(p, { node: ctx }) {
      const argv = ctx.config.reboot.argv
      if (!argv)
        throw new NodeCommandError('UNAVAILABLE', 'reboot is disabled on this node (reboot.argv is not set)')
      const delayMs = ctx.config.reboot.delayMs
      // Answer first: once the reboot starts the gateway connection goes down with the host.
      setTimeout(() => {
        ctx.logger.warn({ reason: p.reason }, 'rebooting host')
        runArgv(argv[0]!, argv.slice(1), { timeoutMs: 60_000, maxOutputBytes: 64 * 1024 }).then(
          (r) => ctx.logger.info({ exitCode: r.exitCode }, 'reboot command finished'),
          (err: unknown) => ctx.logger.error({ err: String(err) }, 'reboot command failed'),
        )
      }, delayMs).unref()
      return { scheduled: true, inMs: delayMs, command: argv[0] }
    },
  })

  return [health, metrics, info, reboot]
}
