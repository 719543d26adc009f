/** Bounded parallelism for the instances of one rollout batch. */

/** Runs `fn` over `items` with at most `concurrency` in flight; stops starting new ones once `stop()`. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length && !stop()) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker))
}
