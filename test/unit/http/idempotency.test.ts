import {
  expectProblem,
  FAKE_DEADLINE_MS,
  InMemoryIdempotencyStore,
  testApp,
  token,
  type TestApp,
} from './fakes';

describe('Idempotency-Key on POST and PUT', () => {
  let t: TestApp;
  let store: InMemoryIdempotencyStore;
  let admin: string;
  let otherAdmin: string;

  beforeAll(async () => {
    admin = await token('inventory:admin');
    const { mintToken } = await import('../../../src/adapters/http/auth');
    const { JWT } = await import('./fakes');
    otherAdmin = await mintToken(JWT, { scopes: ['inventory:admin'], subject: 'someone-else' });
  });
  beforeEach(async () => {
    store = new InMemoryIdempotencyStore();
    t = testApp({ idempotency: store });
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 10 });
  });
  afterEach(() => t.app.close());

  const replenish = (key: string | undefined, payload: object, tok = admin, sku = 'SKU-1') =>
    t.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/replenish`,
      headers: { authorization: `Bearer ${tok}`, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
      payload,
    });
  const replenishCalls = () => t.fake.calls.filter((c) => c.method === 'replenish').length;

  it('answers a repeat with the first response and changes nothing', async () => {
    const first = await replenish('"k-1"', { quantity: 5, reference: 'GR-1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ onHand: 15 });
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    // Same body with its keys in another order, and the key without quotes: the same request.
    const repeat = await replenish('k-1', { reference: 'GR-1', quantity: 5 });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.body).toBe(first.body);
    expect(repeat.headers['content-type']).toBe(first.headers['content-type']);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(replenishCalls()).toBe(1);
    expect(t.fake.levels.get('SKU-1')!.onHand).toBe(15);
  });

  it('replays the status and Location of a 201, and a 4xx as it was', async () => {
    const put = (key: string) =>
      t.app.inject({
        method: 'PUT',
        url: '/inventory/NEW-1',
        headers: { authorization: `Bearer ${admin}`, 'idempotency-key': key },
        payload: { onHand: 3 },
      });
    const created = await put('create-1');
    expect(created.statusCode).toBe(201);
    const again = await put('create-1');
    expect(again.statusCode).toBe(201);
    expect(again.headers.location).toBe('/inventory/NEW-1');
    expect(again.body).toBe(created.body);

    const missing = await replenish('r-404', { quantity: 1 }, admin, 'LATER-1');
    expectProblem(missing, 404, 'sku-not-found');
    await t.fake.setLevels({ sku: 'LATER-1', onHand: 0 });
    const replayed = await replenish('r-404', { quantity: 1 }, admin, 'LATER-1');
    expectProblem(replayed, 404, 'sku-not-found');
    expect(t.fake.levels.get('LATER-1')!.onHand).toBe(0);
  });

  it('answers 422 for the same key with another body, changing nothing', async () => {
    await replenish('k-2', { quantity: 5 });
    expectProblem(await replenish('k-2', { quantity: 6 }), 422, 'idempotency-key-reused');
    expect(replenishCalls()).toBe(1);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    let release!: () => void;
    let entered!: () => void;
    const running = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (release = r));
    const original = t.fake.replenish.bind(t.fake);
    t.fake.replenish = async (cmd) => {
      entered();
      await gate;
      return original(cmd);
    };
    const first = replenish('k-3', { quantity: 1 });
    await running;
    const second = await replenish('k-3', { quantity: 1 });
    expectProblem(second, 409, 'idempotency-key-in-flight');
    expect(second.headers['retry-after']).toBe('1');
    release();
    expect((await first).statusCode).toBe(200);
    expect((await replenish('k-3', { quantity: 1 })).headers['idempotent-replayed']).toBe('true');
  });

  it('releases the key after a 5xx, so a retry runs again', async () => {
    const original = t.fake.replenish.bind(t.fake);
    t.fake.replenish = async () => {
      throw new Error('database down');
    };
    expectProblem(await replenish('k-4', { quantity: 2 }), 500, 'internal-error');
    t.fake.replenish = original;
    const retry = await replenish('k-4', { quantity: 2 });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(t.fake.levels.get('SKU-1')!.onHand).toBe(12);
  });

  it("keeps one caller's keys apart from another's", async () => {
    await replenish('shared', { quantity: 1 });
    const other = await replenish('shared', { quantity: 1 }, otherAdmin);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(t.fake.levels.get('SKU-1')!.onHand).toBe(12);
  });

  it('runs every request without a key', async () => {
    await replenish(undefined, { quantity: 1 });
    await replenish(undefined, { quantity: 1 });
    expect(replenishCalls()).toBe(2);
    expect(store.rows.size).toBe(0);
  });

  it.each([['""'], ['x'.repeat(300)], ['"caf\u00e9"']])('answers 400 for the key %j', async (key) => {
    const res = await replenish(key, { quantity: 1 });
    expectProblem(res, 400, 'validation-error');
    expect(replenishCalls()).toBe(0);
  });

  it('claims no key for a request that fails authentication or validation', async () => {
    expectProblem(await replenish('k-5', { quantity: 1 }, 'not-a-token'), 401);
    expectProblem(await replenish('k-5', { quantity: -1 }), 400);
    expect(store.rows.size).toBe(0);
  });

  it('is documented on every POST and PUT with its 409 and 422', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const writes = Object.entries(
      doc.paths as Record<string, Record<string, Record<string, unknown>>>,
    ).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([m]) => m === 'post' || m === 'put')
        .map(([m, op]) => ({ path, m, op })),
    );
    expect(writes.length).toBeGreaterThanOrEqual(5);
    for (const { op } of writes) {
      const params = (op.parameters ?? []) as { name: string; in: string }[];
      expect(params).toContainEqual(expect.objectContaining({ name: 'idempotency-key', in: 'header' }));
      expect(Object.keys(op.responses as object)).toEqual(expect.arrayContaining(['409', '422']));
    }
  });
});

describe('one deadline per request (REQUEST_DEADLINE_MS from its arrival)', () => {
  let t: TestApp;
  let store: InMemoryIdempotencyStore;
  beforeEach(async () => {
    store = new InMemoryIdempotencyStore();
    t = testApp({ idempotency: store });
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 10 });
  });
  afterEach(() => t.app.close());

  it("gives the key's claim and the reserve that follows the same deadline, not one each", async () => {
    const sent = Date.now();
    const res = await t.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: { authorization: `Bearer ${await token('inventory:reserve')}`, 'idempotency-key': 'r-1' },
      payload: { orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] },
    });
    const answered = Date.now();
    expect(res.statusCode).toBe(201);
    const claim = store.deadlines.find((d) => d.method === 'begin')!.deadline!;
    expect(claim).toBeInstanceOf(Date);
    expect(claim.getTime()).toBeGreaterThanOrEqual(sent + FAKE_DEADLINE_MS);
    expect(claim.getTime()).toBeLessThanOrEqual(answered + FAKE_DEADLINE_MS);
    const reserve = t.fake.calls.find((c) => c.method === 'reserve')!.arg as { deadline?: string };
    expect(reserve.deadline).toBe(claim.toISOString());
    // Storing the answer gets what is left of it, or OUTCOME_GRACE_MS when less is left.
    const stored = store.deadlines.find((d) => d.method === 'complete')!.deadline!;
    expect(stored.getTime()).toBeGreaterThanOrEqual(claim.getTime());
  });

  it('gives the claim and a stock-level command the same deadline', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/inventory/SKU-1/replenish',
      headers: { authorization: `Bearer ${await token('inventory:admin')}`, 'idempotency-key': 'p-1' },
      payload: { quantity: 1 },
    });
    expect(res.statusCode).toBe(200);
    const claim = store.deadlines.find((d) => d.method === 'begin')!.deadline!;
    const command = t.fake.calls.find((c) => c.method === 'replenish')!.options as { deadline: Date };
    expect(command.deadline.getTime()).toBe(claim.getTime());
  });

  it('stores the answer of a request that used up its deadline with OUTCOME_GRACE_MS more', async () => {
    const { OUTCOME_GRACE_MS } = await import('../../../src/application/landed');
    await t.app.close();
    t = testApp({
      idempotency: store,
      config: { HTTP_BODY_LIMIT_BYTES: 64 * 1024, REQUEST_DEADLINE_MS: 200 },
    });
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 10 });
    // The command answers only after the request's deadline has passed.
    const replenish = t.fake.replenish.bind(t.fake);
    t.fake.replenish = async (command, options) => {
      const left = options!.deadline!.getTime() - Date.now();
      await new Promise((r) => setTimeout(r, left + 20));
      return replenish(command, options);
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/inventory/SKU-1/replenish',
      headers: { authorization: `Bearer ${await token('inventory:admin')}`, 'idempotency-key': 'p-2' },
      payload: { quantity: 1 },
    });
    const answered = Date.now();
    expect(res.statusCode).toBe(200);
    const stored = store.deadlines.find((d) => d.method === 'complete')!.deadline!;
    expect(stored.getTime()).toBeGreaterThan(answered + OUTCOME_GRACE_MS - 200);
  });
});

describe('startIdempotencyPurge', () => {
  it('purges in batches until a short one, on every tick, and stops for good', async () => {
    const { startIdempotencyPurge } = await import('../../../src/adapters/http/idempotency');
    const { eventually } = await import('../../support/eventually');
    const batches: number[] = [];
    // 2500 expired keys at first, none later.
    let backlog = 2500;
    const store = new InMemoryIdempotencyStore();
    store.purgeExpired = async (batch: number) => {
      batches.push(batch);
      const n = Math.min(batch, backlog);
      backlog -= n;
      return n;
    };
    const log = { debug: () => undefined, warn: () => undefined } as never;
    const stop = startIdempotencyPurge(store, { intervalMs: 5, batch: 1000, log });
    // First tick: 1000, 1000, 500 (short: done); a later tick: one empty batch.
    await eventually(() => batches.length >= 4, { what: 'two purge ticks' });
    await stop();
    expect(batches.slice(0, 4)).toEqual([1000, 1000, 1000, 1000]);
    expect(backlog).toBe(0);
    const after = batches.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(batches.length).toBe(after);
  });
});
