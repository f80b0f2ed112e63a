/** Latency summaries (ms) and the formatting every table shares. */
export interface Latency {
  n: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function latency(values: readonly number[], errors = 0): Latency {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    errors,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/**
 * A quantile of the observations that fell into a Prometheus histogram between two scrapes (bucket
 * counts are cumulative, `le` ascending), interpolated linearly inside the bucket as histogram_quantile
 * does. NaN without observations; the largest finite bound when the quantile lies in +Inf.
 */
export function histogramQuantile(buckets: { le: number; count: number }[], q: number): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export const fixed = (v: number | undefined, digits = 1): string =>
  v !== undefined && Number.isFinite(v) ? v.toFixed(digits) : '-';

/** Milliseconds with 2 significant decimals below 10, 1 below 100, none above. */
export const msText = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v)
    ? '-'
    : v < 10
      ? v.toFixed(2)
      : v < 100
        ? v.toFixed(1)
        : v.toFixed(0);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
