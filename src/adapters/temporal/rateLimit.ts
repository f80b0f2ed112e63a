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

/**
 * Yields to commits: `wait` returns once no commit was noticed for `quietMs`, or `maxWaitMs` after it
 * began, whichever comes first. The workflow-request dispatcher notices each NOTIFY of its channel (one per reserve commit)
 * and waits on this before a pass, so that while reserves arrive back to back its Temporal work steps
 * aside for up to the deadline, and then delivers everything that gathered meanwhile in one pass.
 */
export class QuietGate {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly quietMs: number,
    private readonly maxWaitMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = sleepUnlessAborted,
  ) {
    if (!(quietMs > 0 && maxWaitMs > 0)) throw new RangeError('quietMs and maxWaitMs must be positive');
  }

  notice(): void {
    this.last = this.now();
  }

  /** Resolves at quiet or `maxWaitMs` from now, or once `signal` aborts. */
  async wait(signal?: AbortSignal): Promise<void> {
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
