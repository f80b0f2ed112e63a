/**
 * The `Server-Timing` header every answer carries: the time in this process from the request's arrival
 * to its answer. What a caller's own latency adds beyond it was spent queueing or on the wire. The load
 * generators (the fault suite, the reserve bench) read it back with `serverTimingMs`.
 */
export const SERVER_TIMING_HEADER = 'server-timing';
const METRIC = 'app';
const PATTERN = new RegExp(`(?:^|,)\\s*${METRIC};dur=([\\d.]+)`);

export function serverTimingValue(elapsedMs: number): string {
  return `${METRIC};dur=${elapsedMs.toFixed(1)}`;
}

/** `app;dur=12.3` → 12.3; undefined when the header is missing or has no such metric. */
export function serverTimingMs(header: string | null | undefined): number | undefined {
  const dur = PATTERN.exec(header ?? '');
  return dur ? Number(dur[1]) : undefined;
}
