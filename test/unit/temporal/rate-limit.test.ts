import { RateLimiter } from '../../../src/adapters/temporal/rateLimit';

/** A clock that only moves when the limiter sleeps: every wait is visible and exact. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => (now += ms),
    sleeps,
  };
}

describe('RateLimiter', () => {
  it('lets a burst of one second through, then paces takes at the rate', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter(4, t.now, t.sleep);
    for (let i = 0; i < 4; i++) await limiter.take();
    expect(t.sleeps).toEqual([]);
    for (let i = 0; i < 4; i++) await limiter.take();
    expect(t.sleeps).toEqual([250, 250, 250, 250]);
    expect(t.now()).toBe(1000);
  });

  it('refills while idle, never beyond the burst', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter(10, t.now, t.sleep);
    for (let i = 0; i < 10; i++) await limiter.take();
    t.advance(60_000);
    for (let i = 0; i < 10; i++) await limiter.take();
    expect(t.sleeps).toEqual([]);
    await limiter.take();
    expect(t.sleeps).toEqual([100]);
  });

  it('rejects a take once its signal aborts', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter(1, t.now, t.sleep);
    await limiter.take();
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    await expect(limiter.take(controller.signal)).rejects.toThrow('stopping');
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });

  it('waits on the real clock too, and an abort ends the wait at once', async () => {
    const limiter = new RateLimiter(1);
    await limiter.take();
    const controller = new AbortController();
    const waiting = limiter.take(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
