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
