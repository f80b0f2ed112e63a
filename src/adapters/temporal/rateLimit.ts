import { sleep as sleepUnlessAborted } from '../shared/backoff';

/**
 * A token bucket: at most `perSecond` takes per second on average, bursts of up to `perSecond`. The
 * workflow-request dispatcher takes one per order it delivers, so that on a host it shares with the
 * api its Temporal work (about 10-15 ms of server CPU per workflow start here) cannot take every core
 * from the request path: above the rate, requests wait in Postgres and drain afterwards.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = sleepUnlessAborted,
  ) {
    if (!(perSecond > 0)) throw new RangeError('perSecond must be positive');
    this.tokens = perSecond;
    this.last = now();
  }

  /** Resolves when a token is taken; rejects with the signal's reason once it aborts (checked after each wait). */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) * this.perSecond) / 1000);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(((1 - this.tokens) * 1000) / this.perSecond, signal);
    }
  }
}

/** How many commits in a row, each within `quietMs` of the one before, make a stream that QuietGate yields to. */
export const QUIET_GATE_STREAM_COMMITS = 3;

/**
 * Yields to a stream of commits: once QUIET_GATE_STREAM_COMMITS commits were noticed, each within
 * `quietMs` of the one before, `wait` returns only when no commit was noticed for `quietMs`, or
 * `maxWaitMs` after it began, whichever comes first; otherwise it returns at once. The
 * workflow-request dispatcher notices each NOTIFY of its channel (one per reserve commit) and waits on
 * this before a pass, so that while reserves arrive back to back its Temporal work steps aside for up to
 * the deadline and then delivers everything that gathered meanwhile in one pass, while reserves that
 * come one at a time (farther apart than `quietMs`) are delivered at once: deferring a lone start only
 * moves its work onto the next request.
 */
export class QuietGate {
  private last = Number.NEGATIVE_INFINITY;
  /** Commits in the present run whose gap to the one before was under quietMs (the run's first: 1). */
  private run = 0;

  constructor(
    private readonly quietMs: number,
    private readonly maxWaitMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = sleepUnlessAborted,
  ) {
    if (!(quietMs > 0 && maxWaitMs > 0)) throw new RangeError('quietMs and maxWaitMs must be positive');
  }

  notice(): void {
    const now = this.now();
    this.run = now - this.last < this.quietMs ? this.run + 1 : 1;
    this.last = now;
  }

  /** Resolves at quiet or `maxWaitMs` from now (at once unless commits stream), or once `signal` aborts. */
  async wait(signal?: AbortSignal): Promise<void> {
    if (this.run < QUIET_GATE_STREAM_COMMITS) return;
    const deadline = this.now() + this.maxWaitMs;
    for (;;) {
      if (signal?.aborted) return;
      const now = this.now();
      const quietAt = this.last + this.quietMs;
      if (now >= quietAt || now >= deadline) return;
      await this.sleep(Math.min(quietAt, deadline) - now, signal);
    }
  }
}
