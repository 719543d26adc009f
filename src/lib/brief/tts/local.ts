/**
 * The offline TTS engine: espeak-ng speaks the text into a WAV file, sox normalises it (gain, a short
 * pad of silence, mono, 16-bit), and for .ogg opusenc encodes Ogg/Opus, the format WhatsApp and
 * Telegram play as voice messages. Without opusenc, sox writes Ogg Vorbis instead and says so (the
 * gateway's WhatsApp channel transcodes it; Telegram may show it as an audio file). Every program runs
 * as argv without a shell; the text goes through stdin, never the command line.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { UserError } from '../../errors.js'
import type { SynthesisResult, TtsProvider, VoiceFormat } from './provider.js'

export interface LocalTtsOptions {
  voice: string
  wordsPerMinute: number
  /** Program names or paths (tests and unusual installs). */
  bins?: { espeak?: string; sox?: string; opusenc?: string }
  timeoutMs?: number
}

interface RunResult {
  code: number | null
  stderr: string
}

function run(
  cmd: string,
  args: readonly string[],
  o: { input?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'], signal: o.signal })
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs)
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString()
    })
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr: stderr.trim() })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(o.input ?? '')
  })
}

const INSTALL_HINT =
  'Install the offline speech tools: apt-get install -y espeak-ng sox opus-tools (or set briefer.voice.provider to elevenlabs).'

async function need(
  cmd: string,
  args: readonly string[],
  o: Parameters<typeof run>[2],
  what: string,
): Promise<void> {
  let r: RunResult
  try {
    r = await run(cmd, args, o)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ENOENT') {
      throw new UserError('CONFIG_INVALID', `${what} is not installed (${cmd} not found)`, {
        hint: INSTALL_HINT,
        details: { reason: 'TTS_ENGINE_MISSING', program: cmd },
      })
    }
    throw err
  }
  if (r.code !== 0) {
    throw new UserError('INTERNAL', `${what} failed (exit ${r.code}): ${r.stderr || 'no message'}`, {
      details: { program: cmd },
    })
  }
}

async function available(cmd: string): Promise<boolean> {
  try {
    const r = await run(cmd, ['--version'], { timeoutMs: 5_000 })
    return r.code === 0
  } catch {
    return false
  }
}

export class LocalTts implements TtsProvider {
  readonly name = 'local' as const
  constructor(private readonly o: LocalTtsOptions) {}

  async synthesize(
    text: string,
    req: { outPath: string; format: VoiceFormat; signal?: AbortSignal },
  ): Promise<SynthesisResult> {
    const bins = { espeak: 'espeak-ng', sox: 'sox', opusenc: 'opusenc', ...this.o.bins }
    const timeoutMs = this.o.timeoutMs ?? 120_000
    const tmp = mkdtempSync(join(tmpdir(), 'clawops-tts-'))
    const notes: string[] = []
    const opts = { timeoutMs, ...(req.signal ? { signal: req.signal } : {}) }
    try {
      const raw = join(tmp, 'speech.wav')
      await need(
        bins.espeak,
        ['-v', this.o.voice, '-s', String(this.o.wordsPerMinute), '-w', raw, '--stdin'],
        { ...opts, input: text },
        'espeak-ng',
      )
      // Normalised to -1 dBFS with a quarter second of silence around it; Opus wants 48 kHz input.
      const rate = req.format === 'ogg' ? '48000' : '22050'
      const clean = join(tmp, 'clean.wav')
      await need(
        bins.sox,
        [raw, '-r', rate, '-c', '1', '-b', '16', clean, 'gain', '-n', '-1', 'pad', '0.25', '0.25'],
        opts,
        'sox',
      )
      // Written next to the target and renamed, so a reader never sees a half-written voice note.
      const partial = join(dirname(req.outPath), `.${process.pid}.${Date.now()}.partial`)
      let engine = 'espeak-ng+sox'
      try {
        // A copy, not a rename: the temp dir may be on another filesystem than the target.
        if (req.format === 'wav') copyFileSync(clean, partial)
        else if (await available(bins.opusenc)) {
          await need(
            bins.opusenc,
            ['--quiet', '--bitrate', '32', '--title', 'clawops briefing', clean, partial],
            opts,
            'opusenc',
          )
          engine = 'espeak-ng+sox+opusenc'
        } else {
          await need(bins.sox, [clean, '-t', 'ogg', partial], opts, 'sox')
          notes.push(
            'opusenc is not installed: the voice note is Ogg Vorbis, not Ogg/Opus (apt-get install opus-tools)',
          )
        }
        renameSync(partial, req.outPath)
      } catch (err) {
        rmSync(partial, { force: true })
        throw err
      }
      return { path: req.outPath, format: req.format, engine, notes }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }
}
