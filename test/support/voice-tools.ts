/**
 * Whether Debian's espeak-ng, sox and opus-tools are on this machine. CI installs them (.ci/run) and
 * so does `npm test` where it can (scripts/system-tools.js); elsewhere the tests that drive them run
 * only when they are present, and say so.
 */
import { spawnSync } from 'node:child_process'

const TOOLS = ['espeak-ng', 'sox', 'soxi', 'opusenc']
export const missingVoiceTools = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0)
export const voiceToolsPresent = missingVoiceTools.length === 0
if (!voiceToolsPresent) {
  process.stderr.write(
    `voice tests not run: ${missingVoiceTools.join(', ')} missing (apt-get install espeak-ng sox opus-tools)\n`,
  )
}
