import { expectProblem, testApp, type TestApp } from './fakes';

describe('conditional reads and writes (ETag, If-None-Match, If-Match)', () => {
  let t: TestApp;
  let admin: string;
  const get = (headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'GET',
      url: '/inventory/SKU-1',
      headers: { authorization: `Bearer ${admin}`, ...headers },
    });
  const put = (payload: object, headers: Record<string, string> = {}, sku = 'SKU-1') =>
    t.app.inject({
      method: 'PUT',
      url: `/inventory/${sku}`,
      headers: { authorization: `Bearer ${admin}`, ...headers },
      payload,
    });

  beforeAll(async () => {
    // The fake authorises by scope only: one token with read and admin.
    const { mintToken } = await import('../../../src/adapters/http/auth');
    const { JWT } = await import('./fakes');
    admin = await mintToken(JWT, { scopes: ['inventory:read', 'inventory:admin'], subject: 'ops' });
  });
  beforeEach(async () => {
    t = testApp();
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 10 });
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 11 });
  });
  afterEach(() => t.app.close());

  it("answers the level with its version as a strong ETag, and on writes the new one's", async () => {
    const res = await get();
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    const updated = await put({ onHand: 12 });
    expect(updated.headers.etag).toBe('"2"');
    expect((await get()).headers.etag).toBe('"2"');
    expect((await put({ onHand: 1 }, {}, 'NEW-1')).headers.etag).toBe('"0"');
  });

  it('answers 304 without a body while If-None-Match still matches, 200 once it changed', async () => {
    for (const tag of ['"1"', 'W/"1"', '"9", "1"', '*']) {
      const res = await get({ 'if-none-match': tag });
      expect(res.statusCode).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe('"1"');
    }
    await put({ onHand: 3 });
    const res = await get({ 'if-none-match': '"1"' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ onHand: 3 });
  });

  it('writes when If-Match holds', async () => {
    const res = await put({ onHand: 4 }, { 'if-match': '"1"' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ onHand: 4 });
    expect((await put({ onHand: 5 }, { 'if-match': '*' })).statusCode).toBe(200);
    expect(t.fake.calls.at(-1)).toEqual({
      method: 'setLevels',
      arg: { sku: 'SKU-1', onHand: 5, ifMatch: '*' },
      options: { deadline: expect.any(Date) },
    });
  });

  it.each([['"0"'], ['W/"1"'], ['"abc"'], ['garbage']])(
    'answers 412 with the current level for If-Match %s, changing nothing',
    async (tag) => {
      const body = expectProblem(await put({ onHand: 4 }, { 'if-match': tag }), 412, 'precondition-failed');
      expect(body.level).toMatchObject({ sku: 'SKU-1', onHand: 11 });
      expect(t.fake.levels.get('SKU-1')!.onHand).toBe(11);
    },
  );

  it('answers 412 for If-Match on a SKU that does not exist, creating nothing', async () => {
    const res = await put({ onHand: 4 }, { 'if-match': '*' }, 'NEW-2');
    expectProblem(res, 412, 'precondition-failed');
    expect(t.fake.levels.has('NEW-2')).toBe(false);
  });

  it('documents the headers, the 304 and the 412', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const read = doc.paths['/inventory/{sku}'].get;
    const write = doc.paths['/inventory/{sku}'].put;
    expect(read.parameters).toContainEqual(expect.objectContaining({ name: 'if-none-match', in: 'header' }));
    expect(read.responses).toHaveProperty('304');
    expect(write.parameters).toContainEqual(expect.objectContaining({ name: 'if-match', in: 'header' }));
    expect(write.responses).toHaveProperty('412');
  });
});
