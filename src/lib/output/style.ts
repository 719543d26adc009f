/** Terminal styling through node:util, which honours NO_COLOR, FORCE_COLOR and non-TTY streams. */
import { styleText } from 'node:util'

type Style = Parameters<typeof styleText>[0]

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return styleText(style, text, { stream })
}

const STATE_STYLE: Record<string, Style> = {
  ACTIVE: 'green',
  BOOTSTRAPPING: 'cyan',
  DEGRADED: 'yellow',
  FAILED: 'red',
  STANDBY_PROMOTING: 'magenta',
  QUARANTINED: 'red',
  done: 'green',
  failed: 'red',
  partial: 'yellow',
  running: 'cyan',
  ok: 'green',
  denied: 'red',
  serving: 'green',
  degraded: 'yellow',
  promoting: 'magenta',
  'at-risk': 'red',
  unserved: 'red',
}

/** Colours a state word the same way in every table. */
export function paintState(state: string, stream: NodeJS.WriteStream = process.stdout): string {
  const style = STATE_STYLE[state]
  return style ? paint(style, state, stream) : state
}
