import { mintToken } from '../../../src/adapters/http/auth';
import { expectProblem, FAKE_DEADLINE_MS, JWT, testApp, token, type TestApp } from './fakes';

describe('POST /inventory/:sku/adjustments', () => {
  let t: TestApp;
  let admin: string;
  const adjust = (payload: unknown, headers: Record<string, string> = {}, sku = 'SKU-1') =>
    t.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/adjustments`,
      headers: { authorization: `Bearer ${admin}`, ...headers },
      payload: payload as object,
    });

  beforeAll(async () => {
    admin = await mintToken(JWT, { scopes: ['inventory:admin', 'inventory:read'], subject: 'ops' });
  });
  beforeEach(async () => {
    t = testApp();
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 10 });
    t.fake.levels.get('SKU-1')!.reserved = 4;
  });
  afterEach(() => t.app.close());

  it('applies a signed delta with its reason and answers the StockLevel with its ETag', async () => {
    const sent = Date.now();
    const res = await adjust({ delta: -2, reason: 'damaged', reference: 'DMG-1', note: 'forklift' });
    const answered = Date.now();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ sku: 'SKU-1', onHand: 8, reserved: 4, available: 4 });
    expect(res.headers.etag).toBe('"1"');
    expect(t.fake.calls.at(-1)).toEqual({
      method: 'adjust',
      arg: { sku: 'SKU-1', delta: -2, reason: 'damaged', reference: 'DMG-1', note: 'forklift' },
      options: { deadline: expect.any(Date) },
    });
    // REQUEST_DEADLINE_MS from the command's start: a Postgres that hangs costs a 503 by then.
    const { deadline } = t.fake.calls.at(-1)!.options as { deadline: Date };
    expect(deadline.getTime()).toBeGreaterThanOrEqual(sent + FAKE_DEADLINE_MS);
    expect(deadline.getTime()).toBeLessThanOrEqual(answered + FAKE_DEADLINE_MS);
  });

  it('takes a counted onHand instead', async () => {
    const res = await adjust({ onHand: 12, reason: 'cycle-count' });
    expect(res.json()).toMatchObject({ onHand: 12 });
  });

  it('answers 409 when on hand would fall below reserved', async () => {
    const body = expectProblem(
      await adjust({ delta: -7, reason: 'shrinkage' }),
      409,
      'on-hand-below-reserved',
    );
    expect(body).toMatchObject({ sku: 'SKU-1', onHand: 3, reserved: 4 });
    expect(t.fake.levels.get('SKU-1')!.onHand).toBe(10);
  });

  it('answers 404 for an unknown SKU', async () => {
    expectProblem(await adjust({ delta: 1, reason: 'returned' }, {}, 'NOPE'), 404, 'sku-not-found');
  });

  it('honours If-Match: 412 with the current level when stale', async () => {
    const body = expectProblem(
      await adjust({ delta: 1, reason: 'received' }, { 'if-match': '"7"' }),
      412,
      'precondition-failed',
    );
    expect(body.level).toMatchObject({ onHand: 10 });
    expect((await adjust({ delta: 1, reason: 'received' }, { 'if-match': '"0"' })).statusCode).toBe(200);
  });

  it.each([
    [{ reason: 'damaged' }],
    [{ delta: 1, onHand: 3, reason: 'damaged' }],
    [{ delta: 1 }],
    [{ delta: 1, reason: 'stolen' }],
    [{ delta: 1.5, reason: 'damaged' }],
    [{ onHand: -1, reason: 'cycle-count' }],
    [{ delta: 1, reason: 'damaged', note: '' }],
    [{ delta: 1, reason: 'damaged', note: 'x'.repeat(501) }],
    [{ delta: 1, reason: 'damaged', reference: 'x'.repeat(201) }],
    [{ delta: 1, reason: 'damaged', colour: 'red' }],
    [{ delta: 1, reason: 'damaged', note: 'a\u0000b' }],
    [{ delta: 1, reason: 'damaged', reference: '\ud800' }],
  ])('answers 400 for %j', async (payload) => {
    expectProblem(await adjust(payload), 400, 'validation-error');
    expect(t.fake.calls.filter((c) => c.method === 'adjust')).toEqual([]);
  });

  it('needs the admin scope', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/inventory/SKU-1/adjustments',
      headers: { authorization: `Bearer ${await token('inventory:reserve')}` },
      payload: { delta: 1, reason: 'damaged' },
    });
    expectProblem(res, 403, 'forbidden');
  });

  it('is documented with the reasons and examples', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/inventory/{sku}/adjustments'].post;
    const text = JSON.stringify(op.requestBody);
    for (const reason of ['correction', 'cycle-count', 'damaged', 'shrinkage', 'received', 'returned']) {
      expect(text).toContain(reason);
    }
    expect(text).toContain('DMG-17');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '404', '409', '412']));
  });
});

describe('GET /inventory/:sku/movements filters', () => {
  let t: TestApp;
  let read: string;
  beforeAll(async () => {
    read = await token('inventory:read');
  });
  beforeEach(async () => {
    t = testApp();
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 1 });
  });
  afterEach(() => t.app.close());
  const get = (q: string) =>
    t.app.inject({
      method: 'GET',
      url: `/inventory/SKU-1/movements?${q}`,
      headers: { authorization: `Bearer ${read}` },
    });

  it('passes type and reason through', async () => {
    expect((await get('type=ADJUST&reason=cycle-count')).statusCode).toBe(200);
    expect(t.fake.calls.at(-1)).toEqual({
      method: 'listMovements',
      arg: { sku: 'SKU-1', type: 'ADJUST', reason: 'cycle-count' },
    });
  });

  it.each(['type=adjust', 'type=MOVE', 'reason=Damaged', 'reason=a%20b'])('answers 400 for %s', async (q) => {
    expectProblem(await get(q), 400, 'validation-error');
  });
});
