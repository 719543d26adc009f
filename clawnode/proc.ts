/**
 * Readers for the Linux host facts the vps.* commands report: /proc/meminfo, /proc/stat,
 * /proc/net/dev, /proc/mounts, /etc/os-release and statfs. Parsers take text so they can be tested
 * on captured samples; the read* functions do the I/O.
 */
import { readFile, statfs } from 'node:fs/promises'

export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim())
    if (m) out[m[1]!] = Number(m[2]) * (line.includes('kB') ? 1024 : 1)
  }
  return out
}

export interface MemoryFacts {
  totalBytes: number
  availableBytes: number
  usedPct: number
  swapTotalBytes: number
  swapFreeBytes: number
}

export async function readMemory(): Promise<MemoryFacts> {
  const m = parseMeminfo(await readFile('/proc/meminfo', 'utf8'))
  const total = m.MemTotal ?? 0
  const available = m.MemAvailable ?? m.MemFree ?? 0
  return {
    totalBytes: total,
    availableBytes: available,
    usedPct: total > 0 ? round1(((total - available) / total) * 100) : 0,
    swapTotalBytes: m.SwapTotal ?? 0,
    swapFreeBytes: m.SwapFree ?? 0,
  }
}

export interface CpuTimes {
  idle: number
  total: number
}

export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '))
  if (!line) throw new Error('no aggregate cpu line in /proc/stat')
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
  const idle = (f[3] ?? 0) + (f[4] ?? 0)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
  return { idle, total }
}

export async function readCpuTimes(): Promise<CpuTimes> {
  return parseProcStat(await readFile('/proc/stat', 'utf8'))
}

export function cpuBusyPct(a: CpuTimes, b: CpuTimes): number {
  const total = b.total - a.total
  return total > 0 ? round1(((total - (b.idle - a.idle)) / total) * 100) : 0
}

export interface NetCounters {
  iface: string
  rxBytes: number
  txBytes: number
  rxErrors: number
  txErrors: number
}

export function parseNetDev(text: string): NetCounters[] {
  const out: NetCounters[] = []
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line)
    if (!m) continue
    const f = m[2]!.trim().split(/\s+/).map(Number)
    out.push({
      iface: m[1]!,
      rxBytes: f[0] ?? 0,
      rxErrors: f[2] ?? 0,
      txBytes: f[8] ?? 0,
      txErrors: f[10] ?? 0,
    })
  }
  return out
}

export async function readNetDev(): Promise<NetCounters[]> {
  return parseNetDev(await readFile('/proc/net/dev', 'utf8'))
}

const REAL_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'vfat', 'overlay', 'tmpfs'])

export function parseMounts(text: string): Array<{ device: string; mount: string; fstype: string }> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([device, mount, fstype]) => ({
      device: device ?? '',
      mount: (mount ?? '').replace(/\\040/g, ' '),
      fstype: fstype ?? '',
    }))
    .filter((m) => REAL_FS.has(m.fstype) && !m.mount.startsWith('/proc') && !m.mount.startsWith('/sys'))
}

export interface DiskFacts {
  mount: string
  fstype?: string
  totalBytes: number
  availableBytes: number
  usedPct: number
}

export async function readDisk(mount: string, fstype?: string): Promise<DiskFacts> {
  const s = await statfs(mount)
  const total = s.blocks * s.bsize
  const avail = s.bavail * s.bsize
  const used = total - s.bfree * s.bsize
  // Used percentage as df computes it: used / (used + available to unprivileged users).
  const denom = used + avail
  return {
    mount,
    ...(fstype ? { fstype } : {}),
    totalBytes: total,
    availableBytes: avail,
    usedPct: denom > 0 ? round1((used / denom) * 100) : 0,
  }
}

export async function readDisks(limit = 16): Promise<DiskFacts[]> {
  const mounts = parseMounts(await readFile('/proc/mounts', 'utf8'))
  const seen = new Set<string>()
  const out: DiskFacts[] = []
  for (const m of mounts) {
    if (seen.has(m.mount) || out.length >= limit) continue
    seen.add(m.mount)
    try {
      out.push(await readDisk(m.mount, m.fstype))
    } catch {
      // A mount that vanished or is not readable by us is left out, not reported as empty.
    }
  }
  return out
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1')
  }
  return out
}

export async function readOsRelease(): Promise<Record<string, string>> {
  try {
    return parseOsRelease(await readFile('/etc/os-release', 'utf8'))
  } catch {
    return {}
  }
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10
}
