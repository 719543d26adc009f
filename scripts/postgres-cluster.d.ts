export function postgresBin(): string | undefined
export function startCluster(): Promise<{ url: string; dir: string }>
export function stopCluster(dir: string): void
