/**
 * A real pseudo-terminal for the CLI's terminal behaviour: a tmux server of its own (own socket, no
 * user config) with one shell pane of a fixed size. Tests type into it and read the screen as a
 * person would see it.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

export const hasTmux = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0

export class Tmux {
  private readonly socket = `clawops-test-${randomBytes(4).toString('hex')}`

  constructor(env: Record<string, string>, size = { width: 100, height: 40 }) {
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v.replaceAll("'", "'\\''")}'`)
      .join('; ')
    this.tmux(
      'new-session',
      '-d',
      '-s',
      't',
      '-x',
      String(size.width),
      '-y',
      String(size.height),
      `bash --norc --noprofile -c "${exports.replaceAll('"', '\\"')}; export PS1='$ '; exec bash --norc --noprofile"`,
    )
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' })
  }

  /** Types a line and presses Enter. */
  run(line: string): void {
    this.tmux('send-keys', '-t', 't', '-l', line)
    this.tmux('send-keys', '-t', 't', 'Enter')
  }

  /** Presses keys by tmux name: C-c, Enter, y … */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 't', ...keys)
  }

  private mark = ''

  /** The screen as it is now, with the scrollback, from the last `begin()` on. */
  screen(): string {
    const all = this.tmux('capture-pane', '-t', 't', '-p', '-S', '-200')
    return this.mark ? (all.split(this.mark).slice(2).join(this.mark) ?? '') : all
  }

  /** Waits until the screen matches, or fails with the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const s = this.screen()
      if (pattern.test(s)) return s
      if (Date.now() > end) throw new Error(`the terminal never showed ${pattern}:\n${s}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  /** Starts a new scene: what `screen()` shows begins after this point. */
  begin(): void {
    this.mark = `--- ${randomBytes(4).toString('hex')} ---`
    this.run(`echo '${this.mark}'`)
  }

  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' })
  }
}
