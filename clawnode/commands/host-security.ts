/**
 * tailscale.status, firewall.status, ssh.audit: the host's network exposure, read from the real
 * tools. A tool that is not installed gives `available: false` with the reason, never a made-up
 * state; a tool that is installed but fails (no daemon, no permission) says so too.
 */
import { existsSync } from 'node:fs'
import { z } from 'zod'
import { runArgv } from '../run.js'
import { auditSshd, countAuthorizedKeys } from '../sshd-audit.js'
import { NodeCommandError } from './errors.js'
import { defineCommand } from './registry.js'

const Empty = z.object({}).strict()

async function tryRun(
  bin: string,
  args: string[],
  signal: AbortSignal,
  timeoutMs: number,
  maxOutputBytes: number,
) {
  try {
    return {
      installed: true as const,
      result: await runArgv(bin, args, { signal, timeoutMs, maxOutputBytes }),
    }
  } catch (err) {
    if (err instanceof NodeCommandError && err.code === 'UNAVAILABLE')
      return { installed: false as const, reason: err.message }
    throw err
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 500) ?? ''
}

export function hostSecurityCommands() {
  const tailscale = defineCommand({
    name: 'tailscale.status',
    params: Empty,
    timeoutMs: 10_000,
    async run(_p, run) {
      const { bins, limits } = run.node.config
      const r = await tryRun(
        bins.tailscale,
        ['status', '--json'],
        run.signal,
        run.remainingMs(),
        limits.maxOutputBytes,
      )
      if (!r.installed) return { available: false, reason: r.reason }
      const { exitCode, stdout, stderr } = r.result
      let s: Record<string, unknown>
      try {
        s = JSON.parse(stdout)
      } catch {
        return { available: true, running: false, reason: lastLine(stderr || stdout) || `exit ${exitCode}` }
      }
      const self = (s.Self ?? {}) as Record<string, unknown>
      const peers = Object.values((s.Peer ?? {}) as Record<string, { Online?: boolean }>)
      return {
        available: true,
        running: s.BackendState === 'Running',
        backendState: s.BackendState ?? null,
        self: {
          hostName: self.HostName ?? null,
          dnsName: self.DNSName ?? null,
          ips: self.TailscaleIPs ?? [],
          online: self.Online ?? null,
        },
        peers: { total: peers.length, online: peers.filter((p) => p.Online).length },
        health: Array.isArray(s.Health) ? s.Health : [],
      }
    },
  })

  const firewall = defineCommand({
    name: 'firewall.status',
    params: Empty,
    timeoutMs: 10_000,
    async run(_p, run) {
      const { bins, limits } = run.node.config
      const notes: string[] = []
      const ufw = await tryRun(
        bins.ufw,
        ['status', 'verbose'],
        run.signal,
        run.remainingMs(),
        limits.maxOutputBytes,
      )
      if (ufw.installed) {
        const { exitCode, stdout, stderr } = ufw.result
        const status = /^Status:\s*(\w+)/m.exec(stdout)?.[1]
        if (exitCode === 0 && status) {
          const rules = stdout
            .split('\n')
            .slice(stdout.split('\n').findIndex((l) => /^-+/.test(l)) + 1)
            .map((l) => l.trim())
            .filter(Boolean)
          return {
            available: true,
            backend: 'ufw',
            active: status === 'active',
            defaults: /^Default:\s*(.*)$/m.exec(stdout)?.[1] ?? null,
            rules,
          }
        }
        notes.push(`ufw: ${lastLine(stderr || stdout) || `exit ${exitCode}`}`)
      } else notes.push(ufw.reason)

      const nft = await tryRun(
        bins.nft,
        ['-j', 'list', 'ruleset'],
        run.signal,
        run.remainingMs(),
        limits.maxOutputBytes,
      )
      if (nft.installed) {
        const { exitCode, stdout, stderr } = nft.result
        if (exitCode === 0) {
          const items = (JSON.parse(stdout || '{"nftables":[]}').nftables ?? []) as Array<
            Record<string, unknown>
          >
          const count = (k: string) => items.filter((i) => k in i).length
          const chains = items
            .filter((i) => 'chain' in i)
            .map(
              (i) =>
                i.chain as { family?: string; table?: string; name?: string; hook?: string; policy?: string },
            )
            .map((c) => ({
              family: c.family,
              table: c.table,
              name: c.name,
              hook: c.hook ?? null,
              policy: c.policy ?? null,
            }))
          return {
            available: true,
            backend: 'nftables',
            active: count('rule') > 0 || chains.some((c) => c.policy === 'drop'),
            tables: count('table'),
            rules: count('rule'),
            chains,
            notes,
          }
        }
        notes.push(`nft: ${lastLine(stderr || stdout) || `exit ${exitCode}`}`)
      } else notes.push(nft.reason)

      const installed = ufw.installed || nft.installed
      return { available: installed, backend: null, active: null, reason: notes.join('; ') }
    },
  })

  const ssh = defineCommand({
    name: 'ssh.audit',
    params: Empty,
    async run(_p, { node }) {
      const path = node.config.sshdConfigPath
      if (!existsSync(path))
        return { available: false, reason: `${path} does not exist (no OpenSSH server configured)` }
      let audit: Awaited<ReturnType<typeof auditSshd>>
      try {
        audit = await auditSshd(path)
      } catch (err) {
        return {
          available: false,
          reason: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        }
      }
      const rootKeys = await countAuthorizedKeys('/root/.ssh/authorized_keys')
      return { available: true, ...audit, rootAuthorizedKeys: rootKeys ?? null }
    },
  })

  return [tailscale, firewall, ssh]
}
