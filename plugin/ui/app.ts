/**
 * The Fleet tab in the browser. The snapshot arrives inside the document (see plugin/src/page.ts);
 * this script draws it, counts down to the next refresh and then reloads the document, after
 * checking that the gateway still answers (so a gateway that is down shows as such, over the last
 * snapshot, instead of a browser error page). Every string from the store goes in as text, never HTML.
 */
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js'
import type { FleetStatus, IncidentBrief, InstanceBrief, RolloutBrief } from '../../src/lib/fleet/status.js'
import type { PairGap, RegionHealth } from '../../src/lib/store/fleet-stats.js'

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Legend, Tooltip)

interface Payload {
  ok: boolean
  data?: FleetStatus
  error?: { code: string; message: string; hint?: string }
  refreshSeconds: number
  query: string
  ping: string
}

const LIST_LIMIT = 50
const PROVIDER_COLORS: Record<string, string> = {
  hetzner: '#d50c2d',
  vultr: '#007bfc',
  digitalocean: '#0069ff99',
  contabo: '#1b9e77',
  hostinger: '#673de6',
}

type Child = Node | string | null | undefined | false
function el(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c)
  return e
}

const usd = (cents: number) =>
  `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
const pct = (p: number | null) => (p === null ? '–' : `${p > 0 ? '+' : ''}${p.toFixed(1)}%`)
const time = (iso: string) => `${new Date(iso).toISOString().replace('T', ' ').slice(0, 16)} UTC`

function ago(iso: string | null): string {
  if (!iso) return 'never'
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  if (s < 90) return `${s} s ago`
  if (s < 5400) return `${Math.round(s / 60)} min ago`
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86_400)} days ago`
}

function section(id: string, title: string, ...body: Child[]): HTMLElement {
  return el(
    'section',
    { class: 'card', id, 'aria-labelledby': `${id}-h` },
    el('h2', { id: `${id}-h` }, title),
    ...body,
  )
}

function metric(key: string, label: string, value: string | number, tone = ''): HTMLElement {
  return el(
    'div',
    { class: `metric ${tone}`.trim() },
    el('span', { class: 'metric-value', 'data-metric': key }, String(value)),
    el('span', { class: 'metric-label' }, label),
  )
}

function filterLink(params: Record<string, string>, text: string): HTMLElement {
  const q = new URLSearchParams(params).toString()
  return el('a', { href: q ? `./?${q}` : './' }, text)
}

function healthTone(r: RegionHealth): string {
  if (r.failed > 0 || (r.avgHealth !== null && r.avgHealth < 50)) return 'bad'
  if (r.degraded > 0 || (r.avgHealth !== null && r.avgHealth < 80)) return 'warn'
  return 'good'
}

function table<T>(
  cols: [string, (row: T) => Child][],
  rows: T[],
  total: number,
  testid: string,
): HTMLElement {
  const wrap = el('div', { class: 'table-wrap' })
  const t = el(
    'table',
    { 'data-testid': testid },
    el('thead', {}, el('tr', {}, ...cols.map(([h]) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...cols.map(([, get]) => el('td', {}, get(r)))))),
  )
  wrap.append(t)
  if (total > rows.length)
    wrap.append(
      el(
        'p',
        { class: 'more' },
        `and ${total - rows.length} more (clawops fleet status --json has them all)`,
      ),
    )
  return wrap
}

function summary(s: FleetStatus): HTMLElement {
  const active = s.byState.ACTIVE ?? 0
  const degraded = s.byState.DEGRADED ?? 0
  const failed = s.byState.FAILED ?? 0
  return el(
    'section',
    { class: 'metrics', 'aria-label': 'Summary' },
    metric('pairs', 'pairs', s.pairs),
    metric('instances', 'instances', s.instances),
    metric('active', 'ACTIVE', active, 'good'),
    metric('degraded', 'DEGRADED', degraded, degraded ? 'warn' : ''),
    metric('failed', 'FAILED', failed, failed ? 'bad' : ''),
    metric(
      'without-primary',
      'pairs without an ACTIVE primary',
      s.pairsWithoutActivePrimary.length,
      s.pairsWithoutActivePrimary.length ? 'warn' : '',
    ),
    metric(
      'without-active',
      'users without a working gateway',
      s.pairsWithoutActive.length,
      s.pairsWithoutActive.length ? 'bad' : '',
    ),
    metric('incidents', 'open incidents', s.incidents.length, s.incidents.length ? 'bad' : ''),
  )
}

/** The width goes through the CSSOM: the page's CSP allows no inline style attribute. */
function bar(state: string, widthPct: number): HTMLElement {
  const b = el('span', { class: `bar state-${state.toLowerCase()}` })
  b.style.setProperty('--w', `${widthPct}%`)
  return b
}

function states(s: FleetStatus): HTMLElement {
  const rows = Object.entries(s.byState).sort((a, b) => b[1] - a[1])
  const max = Math.max(1, ...rows.map((r) => r[1]))
  return section(
    'states',
    'Instances by state',
    el(
      'ul',
      { class: 'bars', 'data-testid': 'by-state' },
      ...rows.map(([state, n]) =>
        el(
          'li',
          {},
          el('span', { class: 'bar-label' }, filterLink({ state }, state)),
          bar(state, (100 * n) / max),
          el('span', { class: 'bar-value', 'data-state': state }, String(n)),
        ),
      ),
    ),
    el(
      'p',
      { class: 'sub' },
      `Tiers: ${
        Object.entries(s.byTier)
          .map(([t, n]) => `${t} ${n}`)
          .join(' · ') || '–'
      }`,
    ),
  )
}

function regionMap(s: FleetStatus): HTMLElement {
  const byProvider = new Map<string, RegionHealth[]>()
  for (const r of s.regions) byProvider.set(r.provider, [...(byProvider.get(r.provider) ?? []), r])
  const incidentAt = (p: string, r: string) =>
    s.incidents.some((i) => i.provider === p && (i.region === null || i.region === r))
  return section(
    'regions',
    'Providers × regions',
    s.regions.length === 0
      ? el('p', { class: 'empty' }, 'No live instances here.')
      : el(
          'div',
          { class: 'map', 'data-testid': 'region-map' },
          ...[...byProvider].map(([provider, regions]) =>
            el(
              'div',
              { class: 'map-row' },
              el(
                'span',
                { class: 'map-provider' },
                filterLink({ provider }, provider),
                ` ${s.byProvider[provider] ?? 0}`,
              ),
              el(
                'div',
                { class: 'map-tiles' },
                ...regions.map((r) =>
                  el(
                    'a',
                    {
                      class: `tile ${healthTone(r)}${incidentAt(provider, r.region) ? ' incident' : ''}`,
                      href: `./?${new URLSearchParams({ provider, region: r.region })}`,
                      title: `${provider}/${r.region}: ${r.instances} instances, ${r.active} ACTIVE, ${r.degraded} DEGRADED, ${r.failed} FAILED, mean health ${r.avgHealth ?? '–'}`,
                      'data-region': `${provider}/${r.region}`,
                    },
                    el('strong', {}, r.region),
                    el('span', {}, `${r.instances}`),
                    el('small', {}, r.avgHealth === null ? 'no score' : `health ${Math.round(r.avgHealth)}`),
                    r.degraded + r.failed > 0
                      ? el('small', { class: 'tile-trouble' }, `${r.degraded} deg · ${r.failed} failed`)
                      : null,
                  ),
                ),
              ),
            ),
          ),
        ),
  )
}

function trouble(s: FleetStatus): HTMLElement {
  const rows = [...s.failed, ...s.degraded]
  const cols: [string, (i: InstanceBrief) => Child][] = [
    ['Instance', (i) => i.id],
    ['State', (i) => el('span', { class: `pill state-${i.state.toLowerCase()}` }, i.state)],
    ['Role', (i) => i.role],
    ['Where', (i) => `${i.provider}/${i.region}`],
    ['Health', (i) => (i.healthScore === null ? '–' : String(i.healthScore))],
    ['Heartbeat', (i) => ago(i.lastHeartbeatAt)],
  ]
  return section(
    'trouble',
    `Degraded and failed (${rows.length})`,
    rows.length === 0
      ? el('p', { class: 'empty good' }, 'No DEGRADED or FAILED instance.')
      : table(cols, rows.slice(0, LIST_LIMIT), rows.length, 'trouble-table'),
  )
}

function pairs(s: FleetStatus): HTMLElement {
  const cols: [string, (p: PairGap) => Child][] = [
    ['Pair', (p) => p.pairId],
    ['User', (p) => p.userId],
    ['Members', (p) => p.members.map((m) => `${m.role} ${m.state}`).join(', ')],
    [
      'Served',
      (p) =>
        s.pairsWithoutActive.some((g) => g.pairId === p.pairId)
          ? el('span', { class: 'pill state-failed' }, 'no')
          : 'by the standby',
    ],
  ]
  const rows = s.pairsWithoutActivePrimary
  return section(
    'pairs',
    `Pairs without an ACTIVE primary (${rows.length})`,
    rows.length === 0
      ? el('p', { class: 'empty good' }, 'Every pair has an ACTIVE primary.')
      : table(cols, rows.slice(0, LIST_LIMIT), rows.length, 'pairs-table'),
  )
}

function incident(i: IncidentBrief): HTMLElement {
  return el(
    'details',
    { class: `incident sev-${i.severity}`, open: '' },
    el(
      'summary',
      {},
      el('span', { class: `pill sev-${i.severity}` }, i.severity),
      ` ${i.title} `,
      el('small', {}, `${i.status} · since ${time(i.openedAt)} · ${i.actions} action(s)`),
    ),
    el(
      'ol',
      { class: 'timeline' },
      ...i.timeline.map((t) =>
        el('li', {}, el('time', { datetime: t.at }, time(t.at)), ' ', el('span', {}, t.text)),
      ),
    ),
    i.timelineTotal > i.timeline.length
      ? el('p', { class: 'more' }, `Earlier entries: clawops incident report ${i.id}`)
      : null,
  )
}

function incidents(s: FleetStatus): HTMLElement {
  return section(
    'incidents',
    `Incidents (${s.incidents.length} open)`,
    s.incidents.length === 0
      ? el('p', { class: 'empty good' }, 'No open incident.')
      : el('div', {}, ...s.incidents.map(incident)),
    s.silences.length === 0
      ? el('p', { class: 'sub' }, 'No silence in force.')
      : el(
          'div',
          {},
          el('h3', {}, `Silences in force (${s.silences.length})`),
          el(
            'ul',
            { class: 'silences' },
            ...s.silences.map((x) =>
              el(
                'li',
                {},
                [x.provider, x.region, x.instanceId, x.eventType].filter(Boolean).join(' / ') || 'everything',
                ` — ${x.reason} (by ${x.createdBy}, until ${time(x.expiresAt)})`,
              ),
            ),
          ),
        ),
  )
}

function rollout(r: RolloutBrief): HTMLElement {
  const done = r.targets.total - r.targets.pending - r.targets.inFlight
  const share = r.targets.total === 0 ? 0 : Math.round((100 * done) / r.targets.total)
  return el(
    'div',
    { class: 'rollout' },
    el(
      'div',
      {},
      el('strong', {}, `${r.kind} ${r.id}`),
      ` v${r.version} · `,
      el('span', { class: `pill status-${r.status}` }, r.status),
      ` · by ${r.actor}`,
    ),
    el('progress', { max: '100', value: String(share), 'aria-label': `${share}% of instances done` }),
    el(
      'small',
      {},
      `batch ${Math.min(r.currentBatch + 1, r.batches)} of ${r.batches} · ${done}/${r.targets.total} instances done (${r.targets.applied} applied, ${r.targets.unchanged} unchanged, ${r.targets.skipped} skipped, ${r.targets.failed} failed)${r.reason ? ` · ${r.reason}` : ''}`,
    ),
  )
}

function rollouts(s: FleetStatus): HTMLElement {
  return section(
    'rollouts',
    `Config rollouts in flight (${s.rollouts.length})`,
    s.rollouts.length === 0
      ? el('p', { class: 'empty' }, 'No rollout in flight.')
      : el('div', {}, ...s.rollouts.map(rollout)),
  )
}

const charts: Chart[] = []
const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim()

function cost(s: FleetStatus): HTMLElement {
  const c = s.cost
  if (!c) {
    return section(
      'cost',
      'Cost this month',
      el(
        'p',
        { class: 'empty' },
        'Not computed yet: `clawops fleet status` or a running `clawops watch` computes it (hourly).',
      ),
    )
  }
  const canvas = el('canvas', {
    'aria-label': 'Spend this month by day against the projection',
    role: 'img',
  }) as HTMLCanvasElement
  const days = Math.round((Date.parse(c.period.end) - Date.parse(c.period.start)) / 86_400_000)
  const labels = Array.from({ length: days }, (_, k) => String(k + 1))
  const actual = c.daily.map((d) => d.actualUsdCents / 100)
  const projected = labels.map((_, k) => (c.projection.periodUsdCents * (k + 1)) / days / 100)
  queueMicrotask(() =>
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: {
          labels,
          datasets: [
            {
              label: 'Spend to date',
              data: actual,
              borderColor: css('--accent'),
              backgroundColor: css('--accent-soft'),
              fill: true,
              pointRadius: 0,
              tension: 0.2,
            },
            {
              label: `Projection (${c.projection.source})`,
              data: projected,
              borderColor: css('--muted'),
              borderDash: [6, 4],
              pointRadius: 0,
            },
          ],
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { labels: { color: css('--fg'), boxWidth: 12 } } },
          scales: {
            x: {
              ticks: { color: css('--muted'), maxTicksLimit: 8 },
              grid: { display: false },
              title: { display: true, text: 'day of month', color: css('--muted') },
            },
            y: {
              ticks: { color: css('--muted'), callback: (v) => `$${Number(v).toLocaleString('en-US')}` },
              grid: { color: css('--grid') },
            },
          },
        },
      }),
    ),
  )
  const tone =
    c.deltaPct !== null && c.deltaPct > c.anomaly.thresholdPct
      ? 'bad'
      : c.deltaPct !== null && c.deltaPct > 0
        ? 'warn'
        : 'good'
  return section(
    'cost',
    'Cost this month',
    el(
      'div',
      { class: 'metrics compact' },
      metric('cost-actual', 'spent to date', usd(c.actualUsdCents)),
      metric('cost-projected', 'projected to date', usd(c.projection.toDateUsdCents)),
      metric('cost-delta', 'against projection', pct(c.deltaPct), tone),
      metric(
        'cost-forecast',
        `forecast (${usd(c.projection.periodUsdCents)} projected)`,
        usd(c.forecastUsdCents),
      ),
    ),
    el('div', { class: 'chart' }, canvas),
    el(
      'p',
      { class: 'sub' },
      `${c.period.elapsedPct}% of ${c.month} elapsed · computed ${ago(c.computedAt)} · list price of the live fleet ${usd(s.monthlyCost.usdCents)}/month`,
    ),
  )
}

function scores(s: FleetStatus): HTMLElement {
  const p = s.providerScores
  if (!p) {
    return section(
      'scores',
      'Provider scores',
      el(
        'p',
        { class: 'empty' },
        'Not computed yet: `clawops fleet status` or a running `clawops watch` computes them (hourly).',
      ),
    )
  }
  const canvas = el('canvas', {
    'aria-label': 'Provider scores over the last 7 days',
    role: 'img',
  }) as HTMLCanvasElement
  queueMicrotask(() =>
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: p.trend.map((d) => d.day.slice(5)),
          datasets: p.providers.map((x) => ({
            label: x.provider,
            data: p.trend.map((d) => d.scores[x.provider] ?? null),
            borderColor: PROVIDER_COLORS[x.provider] ?? css('--fg'),
            backgroundColor: PROVIDER_COLORS[x.provider] ?? css('--fg'),
            spanGaps: true,
            pointRadius: 2,
          })),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { labels: { color: css('--fg'), boxWidth: 12 } } },
          scales: {
            x: { ticks: { color: css('--muted') }, grid: { display: false } },
            y: { min: 0, max: 100, ticks: { color: css('--muted') }, grid: { color: css('--grid') } },
          },
        },
      }),
    ),
  )
  return section(
    'scores',
    'Provider scores (7 days)',
    el(
      'ul',
      { class: 'scores', 'data-testid': 'provider-scores' },
      ...p.providers.map((x) =>
        el(
          'li',
          { class: x.status === 'degraded' ? 'bad' : x.status === 'no-data' ? 'muted' : 'good' },
          el('span', {}, x.provider),
          el('strong', { 'data-score': x.provider }, x.score === null ? '–' : String(x.score)),
        ),
      ),
    ),
    el('div', { class: 'chart' }, canvas),
    el(
      'p',
      { class: 'sub' },
      `Below ${p.thresholdScore} a provider leaves the primary pools (clawops provider health). Computed ${ago(p.computedAt)}.`,
    ),
  )
}

function watch(s: FleetStatus): HTMLElement {
  const w = s.watch
  const tone = w.status === 'live' ? 'good' : w.status === 'never' ? 'muted' : 'bad'
  const text: Record<typeof w.status, string> = {
    live: 'alive',
    stale: 'not heard from',
    stopped: 'stopped',
    never: 'never ran',
  }
  return el(
    'p',
    { class: `watch ${tone}`, 'data-testid': 'watch' },
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    `watch ${text[w.status]}`,
    w.lastSeenAt && w.status !== 'never' ? ` · seen ${ago(w.lastSeenAt)}` : '',
    w.lastCycle
      ? ` · last cycle ${ago(w.lastCycle.at)}${w.lastCycle.swept !== null ? ` (${w.lastCycle.swept} swept)` : ''}${w.lastCycle.skipped ? ` — sweep skipped: ${w.lastCycle.skipped}` : ''}`
      : ' · no cycle yet',
  )
}

let refreshSeconds = 30
let pingUrl = '/clawops/ping'
let left = 30
let timer: ReturnType<typeof setInterval> | undefined
let stale = false

function header(p: Payload): HTMLElement {
  const s = p.data
  const filtered = s && (s.filter.provider || s.filter.region || s.filter.state)
  return el(
    'header',
    { class: 'top' },
    el(
      'div',
      {},
      el('h1', {}, 'Fleet'),
      el(
        'span',
        { class: 'asof', 'data-testid': 'as-of', 'data-as-of': s?.asOf ?? '' },
        s ? `as of ${time(s.asOf)}` : '',
      ),
    ),
    filtered
      ? el(
          'p',
          { class: 'filter' },
          `Filtered: ${[s.filter.provider, s.filter.region, s.filter.state].filter(Boolean).join(' · ')} `,
          filterLink({}, 'show everything'),
        )
      : null,
    el(
      'div',
      { class: 'refresh' },
      el('span', { id: 'countdown', 'aria-live': 'off' }, ''),
      el('button', { type: 'button', id: 'refresh-now' }, 'Refresh'),
    ),
  )
}

function banner(): HTMLElement {
  return el('div', { id: 'banner', role: 'status', 'aria-live': 'polite', hidden: '' })
}

function setBanner(kind: 'stale' | 'refreshing' | null, text = ''): void {
  const b = document.getElementById('banner')
  if (!b) return
  b.hidden = kind === null
  b.className = kind ?? ''
  b.textContent = text
}

function render(p: Payload): void {
  const app = document.getElementById('app')!
  app.replaceChildren()
  app.append(header(p), banner())
  if (!p.ok || !p.data) {
    const e = p.error ?? { code: 'INTERNAL', message: 'the page received no snapshot' }
    const first = e.code === 'NOT_FOUND'
    app.append(
      el(
        'section',
        { class: 'card state state-error', 'data-testid': 'error', role: 'alert' },
        el('h2', {}, first ? 'No clawops store here yet' : 'The fleet store cannot be read'),
        el('p', {}, `${e.code}: ${e.message}`),
        e.hint ? el('p', { class: 'sub' }, e.hint) : null,
        el('p', { class: 'sub' }, 'The page tries again at every refresh.'),
      ),
    )
  } else if (p.data.pairs === 0 && !p.data.filter.provider && !p.data.filter.region && !p.data.filter.state) {
    app.append(
      el(
        'section',
        { class: 'card state state-empty', 'data-testid': 'empty' },
        el('h2', {}, 'No pairs yet'),
        el('p', {}, 'The store holds no live instance. Provision users with '),
        el('pre', {}, 'clawops provision --count 3 --tier standard --region eu'),
        el('p', { class: 'sub' }, 'or fill the lab with a synthetic fleet: clawops lab seed --pairs 100'),
      ),
      watch(p.data),
    )
  } else {
    const s = p.data
    app.append(
      watch(s),
      summary(s),
      el(
        'div',
        { class: 'grid' },
        states(s),
        regionMap(s),
        trouble(s),
        pairs(s),
        incidents(s),
        rollouts(s),
        cost(s),
        scores(s),
      ),
    )
  }
  app.setAttribute('aria-busy', 'false')
  document.getElementById('refresh-now')?.addEventListener('click', () => void refresh())
}

/** Reloads the document (the new snapshot) unless the gateway does not answer at all. */
async function refresh(): Promise<void> {
  clearInterval(timer)
  setBanner('refreshing', 'Refreshing…')
  try {
    const r = await fetch(pingUrl, { cache: 'no-store', credentials: 'omit' })
    if (!r.ok) throw new Error(`ping ${r.status}`)
    location.reload()
  } catch {
    stale = true
    setBanner(
      'stale',
      `The gateway does not answer: this is the snapshot of ${document.querySelector('[data-testid="as-of"]')?.textContent?.replace('as of ', '') ?? 'earlier'}. Trying again in ${refreshSeconds} s.`,
    )
    countdown()
  }
}

function countdown(): void {
  left = refreshSeconds
  const tick = () => {
    const c = document.getElementById('countdown')
    if (c) c.textContent = `${stale ? 'retry' : 'refresh'} in ${left} s`
    if (left-- <= 0) void refresh()
  }
  tick()
  timer = setInterval(tick, 1000)
}

function main(): void {
  const island = document.getElementById('fleet-data')
  let p: Payload
  try {
    p = JSON.parse(island?.textContent ?? '') as Payload
  } catch {
    p = {
      ok: false,
      error: { code: 'INTERNAL', message: 'the snapshot in the page is unreadable' },
      refreshSeconds: 30,
      query: '',
      ping: '/clawops/ping',
    }
  }
  refreshSeconds = p.refreshSeconds
  pingUrl = new URL(p.ping, location.href).toString()
  render(p)
  countdown()
  document.addEventListener('keydown', (e) => {
    if (e.key === 'r' && !e.ctrlKey && !e.metaKey && !e.altKey) void refresh()
  })
}

main()
