import { expectProblem, testApp, token, type TestApp } from './fakes';

describe('GET /inventory (batch read, below safety stock)', () => {
  let t: TestApp;
  let read: string;
  const get = (url: string) =>
    t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${read}` } });

  beforeAll(async () => {
    read = await token('inventory:read');
  });
  beforeEach(async () => {
    t = testApp();
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 10, safetyStock: 2 });
    await t.fake.setLevels({ sku: 'SKU-2', onHand: 1, safetyStock: 5 });
    await t.fake.setLevels({ sku: 'SKU-3', onHand: 0, safetyStock: 1 });
  });
  afterEach(() => t.app.close());

  it('answers one StockLevel per known SKU in the order asked, the unknown ones apart', async () => {
    const res = await get('/inventory?sku=sku-2&sku=NOPE&sku=SKU-1');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.items.map((l: { sku: string }) => l.sku)).toEqual(['SKU-2', 'SKU-1']);
    expect(body.items[1]).toEqual({
      sku: 'SKU-1',
      onHand: 10,
      reserved: 0,
      available: 10,
      safetyStock: 2,
      reorderQuantity: 0,
      updatedAt: expect.any(String),
      openPurchaseOrder: null,
    });
    expect(body.unknown).toEqual(['NOPE']);
    expect(t.fake.calls).toContainEqual({ method: 'getStockLevels', arg: ['SKU-2', 'NOPE', 'SKU-1'] });
  });

  it('accepts a single SKU and a comma-separated list', async () => {
    expect((await get('/inventory?sku=SKU-3')).json().items).toHaveLength(1);
    const res = await get('/inventory?sku=SKU-1,SKU-3');
    expect(res.json().items.map((l: { sku: string }) => l.sku)).toEqual(['SKU-1', 'SKU-3']);
  });

  it('takes 100 SKUs and refuses 101 with 400', async () => {
    const skus = (n: number) => Array.from({ length: n }, (_, i) => `sku=S${i}`).join('&');
    const ok = await get(`/inventory?${skus(100)}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().unknown).toHaveLength(100);
    expectProblem(await get(`/inventory?${skus(101)}`), 400, 'validation-error');
  });

  it.each([
    ['no parameter', '/inventory'],
    ['both sku and below', '/inventory?sku=SKU-1&below=safety'],
    ['an invalid SKU', '/inventory?sku=-BAD'],
    ['an empty SKU', '/inventory?sku='],
    ['below with another value', '/inventory?below=reorder'],
    ['limit with sku', '/inventory?sku=SKU-1&limit=5'],
    ['an unknown parameter', '/inventory?sku=SKU-1&colour=red'],
  ])('answers 400 for %s', async (_what, url) => {
    expectProblem(await get(url), 400, 'validation-error');
    expect(t.fake.calls.filter((c) => /StockLevels|BelowSafety/.test(c.method))).toEqual([]);
  });

  it('lists the SKUs under their safety stock, a page at a time', async () => {
    const first = await get('/inventory?below=safety&limit=1');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ items: [expect.objectContaining({ sku: 'SKU-2' })], nextCursor: 'SKU-2' });
    const second = (await get('/inventory?below=safety&limit=1&cursor=SKU-2')).json();
    expect(second).toEqual({ items: [expect.objectContaining({ sku: 'SKU-3' })], nextCursor: null });
    expect(t.fake.calls).toContainEqual({
      method: 'listBelowSafetyStock',
      arg: { limit: 1, cursor: 'SKU-2' },
    });
  });

  it('needs the read scope', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/inventory?sku=SKU-1',
      headers: { authorization: `Bearer ${await token('inventory:reserve')}` },
    });
    expectProblem(res, 403, 'forbidden');
  });

  it('is documented with both response shapes and examples', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/inventory'].get;
    expect(op.security).toEqual([{ bearerAuth: ['inventory:read'] }]);
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'below',
      'cursor',
      'limit',
      'sku',
    ]);
    const text = JSON.stringify(op.responses['200']);
    expect(text).toContain('unknown');
    expect(text).toContain('nextCursor');
    expect(text).toContain('SKU-404');
  });
});
