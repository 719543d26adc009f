// The driver of bench/config-push.js (bundled by it with esbuild; run it through that script).
//
//   run <dir> <nodes> <batch> <trials> <ramp>   the whole benchmark; prints one JSON line
//   baseline <plan.json>                        the same node calls as a push, nothing else
//
// `run` starts a real OpenClaw gateway, a gf-clawnode swarm of <nodes> nodes (each with its own
// openclaw.json, instant validation: the structural check only) and one stand-in user gateway for
// their health probes, seeds a fleet whose instances are those nodes, then alternates two measured
// processes per trial: `clawops config push` (the built CLI, rolling in batches of <batch>, no pause)
// and `baseline`, which makes exactly the node calls a push makes per instance (config.get,
// config.push with the hash check, openclaw.health) in the same batches with the same concurrency,
// through the same gateway client, and nothing else: no plan, policy, store, journal, audit or CLI.
// Orchestration overhead = (push wall − baseline wall) / push wall.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { applyDocument, parseDocument } from '../src/lib/config-push/document.js'
import type { ConfigGetResult } from '../src/lib/config-push/node-payloads.js'
import { Context } from '../src/lib/context.js'
import type { Instance } from '../src/lib/domain/instance.js'
import { GatewayClient } from '../src/lib/gateway/client.js'
import { JoinApprover, MemoryJoinRegistry } from '../src/lib/gateway/join-approver.js'
import { deriveJoinSecret, generateJoinSecret } from '../src/lib/gateway/join-proof.js'
import { CLAWNODE_COMMANDS } from '../src/lib/gateway/node-commands.js'
import { invokeAll, invokeNode, listNodes } from '../src/lib/gateway/nodes.js'
import { issueNodeBootstrapToken } from '../src/lib/gateway/pairing.js'
import {
  childEnv,
  freePort,
  prepareGateway,
  startGateway,
  stopGateway,
} from '../src/lib/lab/gateway-process.js'
import { packageRoot } from '../src/lib/paths.js'
import { planBatches } from '../src/lib/rollout/batching.js'
import { Instances } from '../src/lib/store/instances.js'
import { Pairs } from '../src/lib/store/pairs.js'

const root = packageRoot()
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface PlanFile {
  url: string
  concurrency: number
  document: unknown
  batches: { id: string; nodeId: string }[][]
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN
}

async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!)
    }),
  )
}

async function baseline(planPath: string): Promise<void> {
  const plan = JSON.parse(readFileSync(planPath, 'utf8')) as PlanFile
  const doc = parseDocument('merge', plan.document)
  const token = process.env.OPENCLAW_GATEWAY_TOKEN!
  const client = await GatewayClient.connect({ url: plan.url, auth: { kind: 'backend', token } })
  let failed = 0
  for (const batch of plan.batches) {
    await pool(batch, plan.concurrency, async (i) => {
      try {
        const got = await invokeNode<ConfigGetResult>(client, {
          nodeId: i.nodeId,
          command: 'config.get',
          timeoutMs: 20_000,
        })
        const candidate = applyDocument(doc, got.config!)
        await invokeNode(client, {
          nodeId: i.nodeId,
          command: 'config.push',
          params: {
            config: candidate,
            expectedHash: got.hash,
            restart: false,
            rollbackOnUnhealthy: true,
            waitTimeoutMs: 60_000,
          },
          timeoutMs: 60_000,
          idempotencyKey: `baseline/${planPath}/${i.id}`,
        })
        await invokeNode(client, { nodeId: i.nodeId, command: 'openclaw.health', timeoutMs: 15_000 })
      } catch {
        failed++
      }
    })
  }
  await client.close()
  process.stdout.write(`${JSON.stringify({ failed })}\n`)
}

const TIME = '/usr/bin/time'

/** Runs a node process, timing its wall clock and (through /usr/bin/time, when present) its CPU. */
function timed(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; cpuMs: number | null; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const withTime = existsSync(TIME)
    const child = withTime
      ? spawn(TIME, ['-f', 'BENCH_CPU %U %S', process.execPath, ...args], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('exit', (code) => {
      const cpu = /BENCH_CPU ([\d.]+) ([\d.]+)/.exec(stderr)
      const cpuMs = cpu ? Math.round(1000 * (Number(cpu[1]) + Number(cpu[2]))) : null
      resolve({ ms: performance.now() - t0, cpuMs, code, stdout, stderr })
    })
  })
}

async function run(dir: string, n: number, batchSize: number, trials: number, ramp: number): Promise<void> {
  mkdirSync(dir, { recursive: true })
  const gw = await prepareGateway(join(dir, 'gw'))
  const children: { kill(sig?: NodeJS.Signals): void }[] = []
  // Interrupted (Ctrl-C, a timeout): stop the swarm and the gateway rather than leave them running.
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      for (const c of children) c.kill('SIGTERM')
      void stopGateway(gw, 5_000).finally(() => process.exit(130))
    })
  try {
    const g0 = Date.now()
    await startGateway(gw)
    log(`gateway ready in ${Date.now() - g0} ms`)
    const op = await GatewayClient.connect({
      url: gw.url,
      auth: { kind: 'backend', token: gw.token },
      requestTimeoutMs: 120_000,
    })
    const standInPort = await freePort()
    children.push(
      spawn(
        process.execPath,
        [join(root, 'test/support/stand-in-gateway.mjs'), '--port', String(standInPort)],
        {
          stdio: 'ignore',
          env: childEnv(),
        },
      ),
    )
    const configs = join(dir, 'configs')
    mkdirSync(configs, { recursive: true })
    for (let i = 0; i < n; i++) {
      writeFileSync(
        join(configs, `b-${i}.json`),
        `${JSON.stringify(
          {
            gateway: {
              mode: 'local',
              port: 18789,
              bind: 'loopback',
              auth: { mode: 'token', token: `tok-${i}` },
            },
            agents: { defaults: { model: { primary: 'openai/gpt-5.2' } } },
          },
          null,
          2,
        )}\n`,
      )
    }
    const m0 = Date.now()
    const tokens: string[] = []
    for (let i = 0; i < n + 1; i += 10) {
      const got = await Promise.all(
        Array.from({ length: Math.min(10, n + 1 - i) }, () => issueNodeBootstrapToken(op, gw.url)),
      )
      tokens.push(...got.map((t) => t.bootstrapToken))
    }
    log(`minted ${tokens.length} bootstrap tokens in ${Date.now() - m0} ms`)
    const master = generateJoinSecret()
    const approver = new JoinApprover(op, new MemoryJoinRegistry((id) => deriveJoinSecret(master, id)), {
      sweepMs: 5_000,
    })
    await approver.start()
    const swarmDir = join(dir, 'swarm')
    mkdirSync(swarmDir, { recursive: true })
    writeFileSync(join(swarmDir, 'tokens.json'), JSON.stringify(tokens.slice(0, n)), { mode: 0o600 })
    writeFileSync(
      join(swarmDir, 'config.json'),
      JSON.stringify({
        instanceId: 'b',
        // A bootstrap credential joins a node in one connect; a node whose credential a busy gateway let
        // expire falls back to the shared token and is approved by its join proof, as in production.
        gateway: { url: gw.url, token: gw.token, bootstrapToken: tokens[n] },
        joinSecret: master,
        reconnect: { pairingRetryMs: 2_000 },
        stateDir: join(swarmDir, 'state'),
        log: { level: 'warn', target: 'stderr' },
        userGateway: {
          url: `http://127.0.0.1:${standInPort}`,
          configPath: join(configs, '{instanceId}.json'),
        },
      }),
    )
    const swarm = spawn(
      process.execPath,
      [
        join(root, 'bin/gf-clawnode.js'),
        'swarm',
        '--count',
        String(n),
        '--ramp',
        String(ramp),
        '--bootstrap-tokens',
        join(swarmDir, 'tokens.json'),
        '--config',
        join(swarmDir, 'config.json'),
      ],
      { stdio: ['ignore', 'ignore', 'ignore'], env: childEnv() },
    )
    children.push(swarm)
    const j0 = Date.now()
    let nodes: Awaited<ReturnType<typeof listNodes>> = []
    let lastLog = 0
    let lastCount = -1
    let lastChange = Date.now()
    for (;;) {
      // A gateway busy admitting nodes may refuse a listing as overloaded; ask again next round.
      const listed = await listNodes(op).catch((err: Error) => {
        log(`node.list refused while joining (${err.message}); retrying`)
        return null
      })
      if (!listed) {
        await sleep(5_000)
        continue
      }
      nodes = listed.filter(
        (x) =>
          (x.instanceId?.startsWith('b-') ?? false) &&
          x.connected &&
          x.approvalState === 'approved' &&
          x.commands.length === CLAWNODE_COMMANDS.length,
      )
      if (nodes.length === n) break
      // A node or two can end up connected with an empty command surface under a join storm (seen at
      // 1,000); rather than wait forever, measure the pairs whose two members both joined.
      if (nodes.length !== lastCount) {
        lastCount = nodes.length
        lastChange = Date.now()
      } else if (nodes.length >= 0.99 * n && Date.now() - lastChange > 90_000) {
        log(`${n - nodes.length} nodes never finished joining; measuring the pairs that did`)
        break
      }
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now()
        log(`${nodes.length} of ${n} nodes joined after ${Math.round((Date.now() - j0) / 1000)} s`)
      }
      if (Date.now() - j0 > 1_500_000) throw new Error(`only ${nodes.length} of ${n} nodes joined`)
      await sleep(5_000)
    }
    const gwPid = Number(readFileSync(gw.pidFile, 'utf8'))
    log(
      `${n} nodes joined in ${Math.round((Date.now() - j0) / 1000)} s; gateway RSS ${rss(gwPid)} MB, swarm ${rss(swarm.pid!)} MB`,
    )
    approver.stop()
    // Let the gateway settle after the join storm before measuring.
    await sleep(15_000)

    // Issue 4's sweep on the same swarm: vps.health on every node through the gateway with clawops'
    // invokeAll (what `health sweep` and `watch` fan out with), at two concurrencies.
    const sweeps: { concurrency: number; nodes: number; ms: number[]; failed: number }[] = []
    for (const concurrency of [32, 64]) {
      const row = { concurrency, nodes: nodes.length, ms: [] as number[], failed: 0 }
      for (let k = 0; k < 3; k++) {
        const t0 = performance.now()
        const res = await invokeAll(
          op,
          nodes.map((x) => x.nodeId),
          { command: 'vps.health', timeoutMs: 30_000, concurrency },
        )
        row.ms.push(Math.round(performance.now() - t0))
        row.failed += res.filter((r) => !r.ok).length
      }
      log(
        `sweep of ${nodes.length} nodes (vps.health) at concurrency ${concurrency}: ${row.ms.join(', ')} ms, ${row.failed} failed`,
      )
      sweeps.push(row)
    }
    await op.close()

    const home = join(dir, 'home')
    mkdirSync(home, { recursive: true })
    writeFileSync(join(home, 'config.json'), JSON.stringify({ gateway: { url: gw.url } }))
    const nodeOf = new Map(nodes.map((x) => [x.instanceId!, x.nodeId]))
    const ctx = new Context({ home, env: {} })
    const now = ctx.now()
    const fleet: Instance[] = []
    ctx.store().tx(() => {
      for (let k = 0; k < n / 2; k++) {
        if (!nodeOf.has(`b-${2 * k}`) || !nodeOf.has(`b-${2 * k + 1}`)) continue
        const pairId = `p-${String(k).padStart(4, '0')}`
        ctx
          .store()
          .repo(Pairs)
          .insert({ id: pairId, userId: `u-${k}`, labels: {}, createdAt: now, updatedAt: now })
        for (const [role, i] of [
          ['primary', 2 * k],
          ['standby', 2 * k + 1],
        ] as const) {
          fleet.push({
            id: `b-${i}`,
            pairId,
            userId: `u-${k}`,
            provider: role === 'primary' ? 'hetzner' : 'vultr',
            region: role === 'primary' ? 'nbg1' : 'fra',
            tier: 'standard',
            role,
            state: 'ACTIVE',
            providerId: null,
            ip: null,
            tailscaleName: null,
            nodeId: nodeOf.get(`b-${i}`)!,
            labels: {},
            healthScore: 100,
            lastHeartbeatAt: now,
            createdAt: now,
            updatedAt: now,
          })
        }
      }
      ctx.store().repo(Instances).insertMany(fleet)
    })
    ctx.close()
    const batches = planBatches(
      fleet.map((i) => ({ id: i.id, pairId: i.pairId, userId: i.userId, role: i.role })),
      { batchSize, canary: 0, allAtOnce: false },
    ).map((b) => b.members.map((m) => ({ id: m.id, nodeId: nodeOf.get(m.id)! })))

    const env = childEnv({ CLAWOPS_HOME: home, OPENCLAW_GATEWAY_TOKEN: gw.token, CLAWOPS_LOG: 'off' })
    const results: {
      trial: number
      pushMs: number
      pushCpuMs: number | null
      baselineMs: number
      applied: number
    }[] = []
    const primary = (t: number, who: string) => `moonshot/kimi-k2.5-${who}-${t}`
    for (let t = 0; t < trials; t++) {
      const doc = (who: string) => ({ agents: { defaults: { model: { primary: primary(t, who) } } } })
      writeFileSync(join(dir, `push-${t}.json`), JSON.stringify(doc('push')))
      const planPath = join(dir, `baseline-${t}.json`)
      writeFileSync(
        planPath,
        JSON.stringify({
          url: gw.url,
          concurrency: Math.min(batchSize, 64),
          document: doc('base'),
          batches,
        } satisfies PlanFile),
      )
      const pushArgs = [
        // CLAWOPS_BENCH_PROF=<dir>: a CPU profile of each clawops push, to see where its own time goes.
        ...(process.env.CLAWOPS_BENCH_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CLAWOPS_BENCH_PROF}`]
          : []),
        join(root, 'bin/clawops.js'),
        'config',
        'push',
        '--merge',
        join(dir, `push-${t}.json`),
        '--batch-size',
        String(batchSize),
        '--pause',
        '0',
        '--yes',
        '--json',
      ]
      const doPush = async () => {
        const r = await timed(pushArgs, env)
        const out = JSON.parse(r.stdout)
        if (r.code !== 0)
          throw new Error(`push failed (${r.code}): ${r.stdout.slice(0, 2000)} ${r.stderr.slice(0, 500)}`)
        return { ms: r.ms, cpuMs: r.cpuMs, applied: out.data.rollout.counts.applied as number }
      }
      const doBaseline = async () => {
        const r = await timed([process.argv[1]!, 'baseline', planPath], env)
        const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
        if (r.code !== 0 || out.failed)
          throw new Error(`baseline failed: ${r.stdout} ${r.stderr.slice(0, 500)}`)
        return r.ms
      }
      // Alternate which goes first, so neither always meets a warmer gateway.
      let push: { ms: number; cpuMs: number | null; applied: number }
      let baselineMs: number
      if (t % 2 === 0) {
        push = await doPush()
        baselineMs = await doBaseline()
      } else {
        baselineMs = await doBaseline()
        push = await doPush()
      }
      log(
        `trial ${t + 1}: push ${Math.round(push.ms)} ms (CPU ${push.cpuMs ?? '?'} ms, ${push.applied} applied), baseline ${Math.round(baselineMs)} ms`,
      )
      results.push({
        trial: t + 1,
        pushMs: Math.round(push.ms),
        pushCpuMs: push.cpuMs,
        baselineMs: Math.round(baselineMs),
        applied: push.applied,
      })
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const overhead = results.map((r) => (r.pushMs - r.baselineMs) / r.pushMs)
    process.stdout.write(
      `${JSON.stringify({
        nodes: fleet.length,
        swarmNodes: n,
        batchSize,
        batches: batches.length,
        trials: results,
        median: {
          pushMs: median(results.map((r) => r.pushMs)),
          baselineMs: median(results.map((r) => r.baselineMs)),
        },
        overheadShare: { median: median(overhead), min: Math.min(...overhead), max: Math.max(...overhead) },
        // All of clawops' own CPU (start-up, plan, journal, audit, store, JSON) over the push's wall time:
        // an upper bound of its overhead, since most of it overlaps waiting for the nodes.
        cpuShare: results.every((r) => r.pushCpuMs !== null)
          ? median(results.map((r) => r.pushCpuMs! / r.pushMs))
          : null,
        gatewayRssMb: rss(gwPid),
        sweeps,
      })}\n`,
    )
  } finally {
    for (const c of children) c.kill('SIGTERM')
    await stopGateway(gw)
    spawnSync('sleep', ['1'])
  }
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'baseline') await baseline(args[0]!)
else if (mode === 'run')
  await run(
    args[0]!,
    Number(args[1] ?? 1000),
    Number(args[2] ?? 50),
    Number(args[3] ?? 3),
    Number(args[4] ?? 8),
  )
else {
  process.stderr.write(
    'usage: config-push-driver run <dir> <nodes> <batch> <trials> <ramp> | baseline <plan.json>\n',
  )
  process.exit(2)
}
