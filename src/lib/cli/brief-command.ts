/**
 * What `clawops brief daily|weekly|monthly` share: the flags, the call into runBriefing and the human
 * rendering. Each command file names its kind, summary and examples.
 */
import { Flags } from '@oclif/core'
import type { BriefingResult } from '../brief/run.js'
import { BRIEF_CHANNELS, type BriefingKind } from '../brief/settings.js'
import { ClawopsCommand } from './base-command.js'

export const briefFlags = {
  since: Flags.string({
    summary:
      'Start of the window for events: an ISO time or an age such as 24h or 7d (default 24h, 7d, 30d).',
  }),
  voice: Flags.string({
    summary: 'Also speak the briefing into this file: .ogg (Ogg/Opus voice note) or .wav.',
    helpValue: '<file.ogg|file.wav>',
  }),
  tts: Flags.option({
    options: ['local', 'elevenlabs'] as const,
    summary: 'Text-to-speech engine for --voice (default briefer.voice.provider, else local espeak-ng).',
  })(),
  deliver: Flags.boolean({
    summary: 'Send the briefing (and the voice note) to the operator through the gateway channels.',
  }),
  channel: Flags.option({
    options: BRIEF_CHANNELS,
    multiple: true,
    dependsOn: ['deliver'],
    summary: 'Deliver on this channel instead of the configured route (repeatable).',
  })(),
  workspace: Flags.string({
    summary: "Write the incident log into this agent workspace's memory/ (default briefer.workspace).",
  }),
  variant: Flags.option({
    options: ['text', 'markdown', 'spoken'] as const,
    default: 'text' as const,
    summary: 'Which rendering to print in human mode (JSON always has all three).',
  })(),
}

export abstract class BriefCommand extends ClawopsCommand<typeof BriefCommand, BriefingResult> {
  static override flags = briefFlags
  protected abstract readonly kind: BriefingKind

  protected async execute(): Promise<BriefingResult> {
    const f = this.flags
    const { runBriefing } = await import('../brief/run.js')
    return runBriefing(this.ctx, {
      kind: this.kind,
      ...(f.since ? { since: f.since } : {}),
      ...(f.voice ? { voice: f.voice } : {}),
      ...(f.tts ? { tts: f.tts } : {}),
      deliver: f.deliver,
      ...(f.channel?.length ? { channels: f.channel } : {}),
      ...(f.workspace ? { workspace: f.workspace } : {}),
    })
  }

  protected render(r: BriefingResult): string {
    const variant = this.flags.variant
    const out = [variant === 'markdown' ? r.markdown.trimEnd() : variant === 'spoken' ? r.spoken : r.text, '']
    if (r.voice) {
      out.push(
        `Voice note: ${r.voice.path} (${r.voice.durationSec.toFixed(1)} s, ${r.voice.format}/${r.voice.codec}, ${r.voice.engine})`,
      )
    }
    if (r.memory) out.push(`Incident log: ${r.memory.files.length} file(s) in ${r.memory.workspace}/memory`)
    for (const d of r.deliveries ?? []) {
      out.push(
        `Delivered on ${d.channel} to ${d.target}: ${d.state}${d.messageId ? ` (message ${d.messageId})` : ''}${d.voice ? ', with the voice note' : ''}`,
      )
    }
    out.push(`Briefing ${r.id}; the facts behind every number: --json`)
    return `${out.join('\n')}\n`
  }
}
