import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { jsonIsland, pageCsp, renderPage } from '../../../plugin/src/page.js'
import { pluginSettings } from '../../../plugin/src/settings.js'
import type { Json } from '../../../src/lib/gateway/config-diff.js'
import { planPluginInstall } from '../../../src/lib/gateway/plugin-install.js'
import { applyPatch, planGatewaySetup } from '../../../src/lib/gateway/setup.js'

const target = { dir: '/opt/clawops/dist/plugin', home: '/home/op/.clawops' }

function oldInstall(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'clawops-old-')), 'dist', 'plugin')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'openclaw.plugin.json'), JSON.stringify({ id: 'clawops' }))
  return dir
}

describe('installing the clawops plugin into a gateway config', () => {
  it('adds the folder, enables the entry with the home, and is idempotent', () => {
    const current: Record<string, Json> = {
      plugins: { load: { paths: ['/x/other'] }, entries: { other: { enabled: true } } },
    }
    const plan = planGatewaySetup(current, { plugin: target })
    const next = applyPatch(current, plan.patch) as Record<string, Json>
    expect(next.plugins).toEqual({
      load: { paths: ['/x/other', target.dir] },
      entries: { other: { enabled: true }, clawops: { enabled: true, config: { home: target.home } } },
    })
    expect(plan.replacePaths).toContain('plugins.load.paths')
    expect(planPluginInstall(next, target)).toEqual({ patch: {}, replacePaths: [] })
    expect(
      planGatewaySetup(next, { plugin: target }).changes.filter((c) => c.path.startsWith('plugins')),
    ).toEqual([])
  })

  it('keeps the operator’s plugin settings, replaces an older clawops folder and honours an allow list', () => {
    const old = oldInstall()
    const current: Record<string, Json> = {
      plugins: {
        allow: ['other'],
        load: { paths: [old, '/x/other'] },
        entries: { clawops: { enabled: false, config: { home: '/old/home', refreshSeconds: 10 } } },
      },
    }
    const next = applyPatch(current, planPluginInstall(current, target).patch) as {
      plugins: Record<string, Json>
    }
    expect(next.plugins.load).toEqual({ paths: ['/x/other', target.dir] })
    expect(next.plugins.allow).toEqual(['other', 'clawops'])
    expect(next.plugins.entries).toEqual({
      clawops: { enabled: true, config: { home: target.home, refreshSeconds: 10 } },
    })
  })

  it('creates no allow list (that would shut out every other plugin) and warns when the plugin is not built', () => {
    const plan = planGatewaySetup({}, { plugin: target })
    expect((applyPatch({}, plan.patch) as { plugins: Record<string, Json> }).plugins.allow).toBeUndefined()
    const missing = planGatewaySetup({}, { plugin: { missing: 'the clawops plugin is not built' } })
    expect(missing.warnings).toContain('the clawops plugin is not built')
    expect(missing.patch.plugins).toBeUndefined()
  })
})

describe('the Fleet tab document', () => {
  it('keeps store text inert inside the JSON island', () => {
    const evil = '</script><script>alert(1)</script><!-- \u2028 & >'
    const island = jsonIsland({ title: evil })
    expect(island).not.toMatch(/[<>&\u2028]/)
    expect(JSON.parse(island)).toEqual({ title: evil })
    const html = renderPage(
      { ok: true, data: { incidents: [{ title: evil }] } as never },
      { refreshSeconds: 30, query: '', nonce: 'n0nce', css: 'body{}', js: 'void 0' },
    )
    expect(html.match(/<\/script>/g)).toHaveLength(2)
    expect(html).toContain('<script nonce="n0nce">void 0</script>')
  })

  it('allows only its own nonce and the gateway’s ping, and only the gateway may frame it', () => {
    const csp = pageCsp('abc', '127.0.0.1:18789')
    expect(csp).toContain("script-src 'nonce-abc'")
    expect(csp).toContain("style-src 'nonce-abc'")
    expect(csp).toContain(
      'connect-src http://127.0.0.1:18789/clawops/ping https://127.0.0.1:18789/clawops/ping',
    )
    expect(csp).toContain("frame-ancestors 'self'")
    expect(csp).toContain("default-src 'none'")
    expect(pageCsp('abc', 'evil.example; script-src *')).toContain("connect-src 'none'")
  })

  it('reads its config: the home (absolute) and a bounded refresh', () => {
    expect(pluginSettings({ home: '/h', refreshSeconds: 5 }, {})).toEqual({ home: '/h', refreshSeconds: 5 })
    expect(pluginSettings({ refreshSeconds: 1 }, { CLAWOPS_HOME: '/e' })).toEqual({
      home: '/e',
      refreshSeconds: 30,
    })
    expect(() => pluginSettings({ home: 'relative' }, {})).toThrow(/absolute/)
  })
})
