/**
 * `work`, or the error `timedOut()` makes once `ms` have passed (no limit when `ms` is undefined). A
 * result that arrives after the race was lost goes to `onLate` (a connection to release, say); a late
 * failure is dropped.
 */
export async function raceTimeout<T>(
  work: Promise<T>,
  ms: number | undefined,
  timedOut: () => Error,
  onLate: (value: T) => void = () => undefined,
): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } catch (error) {
    work.then(onLate, () => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A limit (ms), shortened to what is left until the caller's `deadline`: at least 1 ms, since 0 would
 * mean no bound at all to pg's query_timeout. No limit and no deadline: no bound.
 */
export function timeoutWithin(limitMs: number, deadline: Date | undefined): number;
export function timeoutWithin(limitMs: number | undefined, deadline: Date | undefined): number | undefined;
export function timeoutWithin(limitMs: number | undefined, deadline: Date | undefined): number | undefined {
  if (!deadline) return limitMs;
  const left = Math.max(1, deadline.getTime() - Date.now());
  return limitMs ? Math.min(limitMs, left) : left;
}
