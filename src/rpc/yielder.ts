/**
 * Cooperative yielding for long loops on the event loop (transactions, batches): the
 * returned function resolves at once until `budgetMs` of work has run since the last
 * yield, then waits for `setImmediate`, so the other connections' frames and timers
 * get their turn (issue 16, defect 7: a 150,000-operation transaction held the loop
 * for 0.7-1.3 s). Resolving at once costs one microtask, not a turn of the loop.
 */
export function yielder(budgetMs = 4): () => Promise<void> {
  let since = performance.now();
  return () => {
    if (performance.now() - since < budgetMs) return Promise.resolve();
    return new Promise<void>((resolve) => setImmediate(() => {
      since = performance.now();
      resolve();
    }));
  };
}
