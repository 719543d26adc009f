/** A short reason for a failed fetch: the socket error code (ECONNREFUSED, ...) rather than "fetch failed". */
export function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: Error & { code?: string; errors?: { code?: string }[] } }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`
  const c = e?.cause
  return c?.code ?? c?.errors?.find((x) => x.code)?.code ?? c?.message ?? e?.message ?? String(err)
}
