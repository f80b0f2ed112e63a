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
