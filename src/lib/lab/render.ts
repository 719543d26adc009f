import type { LabStatus } from './lab.js'

export function renderLabStatus(s: LabStatus): string {
  if (!s.gateway || !s.cloud) return 'No lab in this home. Start one with: clawops lab up\n'
  const servers = s.cloud.servers
    ? Object.entries(s.cloud.servers)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ') || 'none'
    : '?'
  return [
    `lab ${s.running ? 'running' : 'stopped'}`,
    `  gateway  ${s.gateway.url}  ${s.gateway.alive ? 'up' : 'down'}`,
    `  cloud    ${s.cloud.url}  ${s.cloud.alive ? 'up' : 'down'}  (boot driver ${s.cloud.driver}; servers: ${servers})`,
    `  config   ${s.configPath}`,
    '',
  ].join('\n')
}
