/**
 * Headless Chromium (Debian's `chromium`) driven by playwright-core, isolated in a fresh profile and
 * kept off the network: only what the test opens on loopback. CI installs the package (.ci/run), so
 * does `npm test` where it can (scripts/system-tools.js); elsewhere the browser tests say why they
 * are not run.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

export const CHROMIUM = process.env.CLAWOPS_CHROMIUM ?? '/usr/bin/chromium'
export const chromiumPresent = existsSync(CHROMIUM)
if (!chromiumPresent)
  process.stderr.write(`browser tests not run: ${CHROMIUM} missing (apt-get install chromium)\n`)

export async function launchChromium(viewport = { width: 1440, height: 1000 }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'clawops-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
