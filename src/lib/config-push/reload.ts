/**
 * Whether a config change needs the user's gateway restarted or is hot-applied, from OpenClaw's own
 * reload table (docs/gateway/configuration/hot-reload.md, openclaw 2026.9.6): the longest matching
 * prefix decides, and a path that matches no rule needs a restart, as in OpenClaw. Hot-applied changes
 * are written and left to the gateway's file watcher; the rest are pushed with a restart, after which
 * gf-clawnode checks the gateway's health and puts the previous file back if it does not come up.
 */
import type { RestartPolicy } from '../domain/rollout.js'

/** Prefixes OpenClaw applies without restarting the gateway process. */
const HOT = [
  'agents',
  'models',
  'auth.order',
  'auth.profiles',
  'broadcast',
  'worktreeRoot',
  'worktreeAcceleration',
  'hooks',
  'cron',
  'session',
  'messages',
  'tools',
  'skills',
  'mcp',
  'audio',
  'talk',
  'tts',
  'memory.citations',
  'attachments.ttlHours',
  'plugins.entries',
  'plugins.allow',
  'plugins.deny',
  'plugins.enabled',
  'plugins.slots',
  'plugins.load',
  'plugins.installs',
  'ui',
  'logging',
  'identity',
  'bindings',
  'surfaces',
  'approvals.exec',
  'approvals.plugin',
  'security.installPolicy',
  'security.audit.suppressions',
  'diagnostics',
  'acp',
  'update.checkOnStart',
  'update.channel',
  'update.auto.enabled',
  'telemetry.enabled',
  'telemetry.consentedAt',
  'channels',
  'web',
  'commands',
  'accessGroups',
  'transcripts.enabled',
  'transcripts.autoStart',
  'desktop.host',
  'cloudWorkers',
  'discovery.mdns.mode',
  'gateway.publicOrigin',
  'gateway.http.endpoints',
  'gateway.http.securityHeaders.strictTransportSecurity',
  'gateway.tools',
  'gateway.nodes.browser',
  'gateway.nodes.pairing',
  'gateway.nodes.commands',
  'gateway.nodes.pluginTools.enabled',
  'gateway.nodes.allowSkills',
  'gateway.cliAgents',
  'gateway.controlUi.enabled',
  'gateway.controlUi.environment',
  'gateway.controlUi.github',
  'gateway.controlUi.sessionObserver',
  'gateway.controlUi.embedSandbox',
  'gateway.controlUi.allowExternalEmbedUrls',
  'gateway.controlUi.experimental.customPlugins',
  'gateway.controlUi.automaticallyFetchFavicons',
  'gateway.controlUi.allowedOrigins',
  'gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback',
  'gateway.push.apns.relay',
  'gateway.terminal',
  'gateway.auth.token',
  'gateway.auth.password',
  'gateway.auth.allowTailscale',
  'gateway.auth.identityScopes',
  'gateway.auth.trustedProxy',
  'gateway.auth.rateLimit',
  'gateway.roles',
  'gateway.trustedProxies',
  'gateway.allowRealIpFallback',
  'gateway.reload',
  'gateway.remote',
  'browser.profiles',
  'browser.defaultProfile',
  'browser.headless',
  'browser.executablePath',
  'browser.attachOnly',
  'browser.cdpUrl',
  'browser.noSandbox',
  'browser.extraArgs',
  'browser.snapshotDefaults',
  'browser.tabCleanup',
  'browser.allowSystemProfileImport',
  'browser.enabled',
  'browser.evaluateEnabled',
  'browser.ssrfPolicy',
  'browser.extensionRelay.allowLegacyAuth',
]

/** Exceptions inside hot prefixes that OpenClaw restarts for (the MCP Apps listener). */
const RESTART = ['mcp.apps']
const HOT_AGAIN = ['mcp.apps.sandboxOrigin']

function matchLength(path: string, prefixes: readonly string[]): number {
  let best = -1
  for (const p of prefixes) if ((path === p || path.startsWith(`${p}.`)) && p.length > best) best = p.length
  return best
}

/** True when changing this (dotted) path needs a gateway restart. */
export function needsRestart(path: string): boolean {
  const hot = Math.max(matchLength(path, HOT), matchLength(path, HOT_AGAIN))
  const restart = matchLength(path, RESTART)
  if (hot < 0) return true
  return restart > hot
}

/** Restart for this set of changed paths under the rollout's policy. */
export function restartFor(policy: RestartPolicy, paths: readonly string[]): boolean {
  if (policy === 'always') return true
  if (policy === 'never') return false
  return paths.some(needsRestart)
}
