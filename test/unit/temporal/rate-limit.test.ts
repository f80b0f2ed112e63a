import { QUIET_GATE_STREAM_COMMITS, QuietGate, RateLimiter } from '../../../src/adapters/temporal/rateLimit';

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

describe('QuietGate', () => {
  /** A stream: QUIET_GATE_STREAM_COMMITS commits, `gapMs` apart; the clock stops at the last. */
  function stream(gate: QuietGate, t: ReturnType<typeof fakeTime>, gapMs: number) {
    for (let i = 0; i < QUIET_GATE_STREAM_COMMITS; i++) {
      if (i > 0) t.advance(gapMs);
      gate.notice();
    }
  }

  it('passes at once when no commit was noticed', async () => {
    const t = fakeTime();
    const gate = new QuietGate(15, 250, t.now, t.sleep);
    await gate.wait();
    expect(t.sleeps).toEqual([]);
  });

  it('passes at once after commits that come farther apart than the quiet period', async () => {
    const t = fakeTime();
    const gate = new QuietGate(15, 250, t.now, t.sleep);
    stream(gate, t, 33); // 30 reserves a second: each start is delivered as its commit lands
    await gate.wait();
    expect(t.sleeps).toEqual([]);
  });

  it('passes at once while a run of close commits is shorter than a stream', async () => {
    const t = fakeTime();
    const gate = new QuietGate(15, 250, t.now, t.sleep);
    for (let i = 1; i < QUIET_GATE_STREAM_COMMITS; i++) {
      gate.notice();
      t.advance(2);
    }
    await gate.wait();
    expect(t.sleeps).toEqual([]);
  });

  it('a gap as long as the quiet period starts the count again', async () => {
    const t = fakeTime();
    const gate = new QuietGate(15, 250, t.now, t.sleep);
    for (let i = 1; i < QUIET_GATE_STREAM_COMMITS; i++) {
      gate.notice();
      t.advance(2);
    }
    t.advance(13); // 15 ms since the last commit
    gate.notice();
    await gate.wait();
    expect(t.sleeps).toEqual([]);
  });

  it('once commits stream, waits until the quiet period after the last one has passed', async () => {
    const t = fakeTime();
    const gate = new QuietGate(15, 250, t.now, t.sleep);
    stream(gate, t, 3);
    const last = t.now();
    t.advance(5);
    await gate.wait();
    expect(t.sleeps).toEqual([10]);
    expect(t.now() - last).toBe(15);
  });

  it('keeps waiting while commits keep coming, but never past the deadline', async () => {
    const t = fakeTime();
    let commits = 0;
    // A commit at the end of each wait, so never a quiet period: only the 100 ms limit ends the wait.
    // The first 100 waits each bring a commit; without the limit the wait would last 1.5 s.
    const sleep = async (ms: number) => {
      await t.sleep(ms);
      if (commits++ < 100) gate.notice();
    };
    const gate = new QuietGate(15, 100, t.now, sleep);
    stream(gate, t, 3);
    const began = t.now();
    await gate.wait();
    expect(t.now() - began).toBe(100);
    expect(t.sleeps.every((ms) => ms <= 15)).toBe(true);
  });

  it('returns once its signal aborts', async () => {
    const gate = new QuietGate(60_000, 60_000);
    for (let i = 0; i < QUIET_GATE_STREAM_COMMITS; i++) gate.notice();
    const controller = new AbortController();
    const waiting = gate.wait(controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('refuses a quiet period or a limit that is not positive', () => {
    expect(() => new QuietGate(0, 250)).toThrow(RangeError);
    expect(() => new QuietGate(15, 0)).toThrow(RangeError);
  });
});
