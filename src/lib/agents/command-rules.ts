/**
 * Which clawops command needs which authority, as data: the second input (with the role table of
 * src/lib/policy/roles.ts) from which every agent's exec allowlist is generated. A command whose
 * action is null is a read every role may run. A unit test checks that every command in the oclif
 * manifest has a rule here, so a new command cannot slip into (or out of) the allowlists unseen.
 */
import type { Action } from '../domain/actor.js'

export interface CommandRule {
  /** The mutating action the command performs (see roles.ts), or null for a read. */
  action: Action | null
  /** Flags that turn the command into another action (a briefing is a read until it is delivered). */
  flagActions?: Readonly<Record<string, Action>>
  /** Flags no agent passes: they name paths the operator's config decides, not the agent. */
  forbiddenFlags?: readonly string[]
  /**
   * Flags an agent may pass only with a value under the clawops home: `{home}` is replaced with it.
   * The value is an ECMAScript pattern for the whole argument.
   */
  flagValues?: Readonly<Record<string, string>>
  /**
   * Never in an agent's allowlist, whatever its grants: commands that start long-running processes,
   * change the gateway the agents run on (their own allowlists included) or manage the lab. An
   * operator runs them in a terminal; for Commander they are a miss that goes to a human.
   */
  humanOnly?: true
}

const read: CommandRule = { action: null }
const human = (action: Action | null): CommandRule => ({ action, humanOnly: true })

// Voice notes are written under the home only (an agent must not be able to overwrite arbitrary
// files, its own clawops wrapper among them, by naming them as the output).
const briefing: CommandRule = {
  action: null,
  flagActions: { '--deliver': 'brief.deliver' },
  forbiddenFlags: ['--workspace'],
  flagValues: { '--voice': '{home}/briefings/[A-Za-z0-9._-]+\\.(?:ogg|wav)' },
}

/** Every clawops command by its id as typed (`instance list`), with its authority. */
export const COMMAND_RULES: Readonly<Record<string, CommandRule>> = {
  // Views: every role reads.
  'fleet status': read,
  'instance list': read,
  'instance show': read,
  'instance health': read,
  'instance metrics': read,
  'instance logs': read,
  'instance config get': read,
  'instance config diff': read,
  'pair status': read,
  'node list': read,
  'gateway list': read,
  'audit log': read,
  'audit verify': read,
  'ops list': read,
  'ops show': read,
  'cost report': read,
  'cost waste': read,
  'capacity plan': read,
  'provider health': read,
  // A refresh rewrites the store's copy of the providers' public price lists (audited).
  'provider prices': { action: null, flagActions: { '--refresh': 'prices.refresh' } },
  'provider routing show': read,
  'incident exposure': read,
  'incident list': read,
  'incident report': read,
  'silence list': read,
  'archive list': read,
  'reprovision list': read,
  'config history': read,
  'config show': read,
  'config push status': read,
  'openclaw versions': read,
  'openclaw upgrade status': read,
  'clawnode upgrade status': read,
  'cron print': read,
  'lab status': read,
  help: read,
  'brief daily': briefing,
  'brief weekly': briefing,
  'brief monthly': briefing,
  // A sweep moves instance states (ACTIVE ⇄ DEGRADED → FAILED): detection is part of the heal duty.
  'health sweep': { action: 'health.sweep' },
  heal: { action: 'heal' },
  failover: { action: 'failover' },
  'instance restart': { action: 'instance.restart' },
  restart: { action: 'instance.restart' },
  'instance exec': { action: 'instance.exec' },
  provision: { action: 'provision' },
  // Provisions the replacement standbys failovers queued.
  'reprovision run': { action: 'provision' },
  teardown: { action: 'teardown' },
  resize: { action: 'resize' },
  'config push': { action: 'config.push' },
  // Pausing stops a rollout before its next batch and adds nothing: Guardian may, when it hurts health.
  'config push pause': { action: 'rollout.pause' },
  'config push resume': { action: 'config.push' },
  'config push rollback': { action: 'config.rollback' },
  'openclaw upgrade': { action: 'openclaw.upgrade' },
  'openclaw upgrade pause': { action: 'rollout.pause' },
  'openclaw upgrade resume': { action: 'openclaw.upgrade' },
  'openclaw upgrade rollback': { action: 'openclaw.upgrade' },
  'clawnode upgrade': { action: 'clawnode.upgrade' },
  'clawnode upgrade pause': { action: 'rollout.pause' },
  'clawnode upgrade resume': { action: 'clawnode.upgrade' },
  'provider routing set': { action: 'routing.set' },
  'archive prune': { action: 'archive.prune' },
  'silence add': { action: 'silence.manage' },
  'silence remove': { action: 'silence.manage' },
  'ops resume': { action: 'ops.resume' },
  // The daemon and its cron form run under a service manager or the gateway's own cron job.
  watch: human('heal'),
  'watch status': { action: null },
  'node approve': human('node.approve'),
  'gateway setup': human('gateway.setup'),
  // Restarts one node onto another gateway shard; the pair's members never end on one gateway.
  'gateway move': { action: 'gateway.move' },
  'agents install': human('agents.install'),
  'lab up': human('lab.manage'),
  'lab down': human('lab.manage'),
  'lab seed': human('lab.manage'),
  // A copy of the store; an agent may only name a file under the home's backups.
  'store backup': { action: null, flagValues: { '--to': '{home}/backups/[A-Za-z0-9._-]+\\.db' } },
  // Replaces the fleet database: an operator at a terminal, never an agent.
  'store restore': human('store.restore'),
  // Brings the schema up to date, as opening the store does for any command.
  'store migrate': { action: null },
  // The whole fleet, audit trail included, to a database or file it names: an operator only.
  'store copy': human('store.copy'),
}

/** The rule of a command id, or undefined for an unknown command. */
export function ruleOf(command: string): CommandRule | undefined {
  return COMMAND_RULES[command]
}
