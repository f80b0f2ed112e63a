import { inMemoryInventory } from '../../support/fakes';
import { expectProblem, testApp, token, type TestApp } from './fakes';

/** The routes over the real application service (in-memory repositories), so views are the real ones. */
describe('purchase-order routes', () => {
  let t: TestApp;
  let env: ReturnType<typeof inMemoryInventory>;
  let admin: string;
  let read: string;
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });

  beforeAll(async () => {
    [admin, read] = await Promise.all([token('inventory:admin'), token('inventory:read')]);
  });
  beforeEach(() => {
    env = inMemoryInventory();
    t = testApp({ inventory: env.service });
  });
  afterEach(() => t.app.close());

  const put = (sku: string, payload: object) =>
    t.app.inject({ method: 'PUT', url: `/inventory/${sku}`, headers: auth(admin), payload });
  const list = (query = '') =>
    t.app.inject({ method: 'GET', url: `/purchase-orders${query}`, headers: auth(read) });

  it('GET /inventory/:sku shows the open request, and null once a replenishment closed it', async () => {
    const created = await put('po-a', { onHand: 3, safetyStock: 5, reorderQuantity: 10 });
    expect(created.statusCode).toBe(201);
    const request = created.json().openPurchaseOrder;
    expect(request).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      quantity: 12,
      available: 3,
      safetyStock: 5,
      requestedAt: env.clock.now().toISOString(),
    });

    const got = await t.app.inject({ method: 'GET', url: '/inventory/PO-A', headers: auth(read) });
    expect(got.statusCode).toBe(200);
    expect(got.json().openPurchaseOrder).toEqual(request);

    const replenished = await t.app.inject({
      method: 'POST',
      url: '/inventory/PO-A/replenish',
      headers: auth(admin),
      payload: { quantity: 12 },
    });
    expect(replenished.json()).toMatchObject({ available: 15, openPurchaseOrder: null });
    const after = await t.app.inject({ method: 'GET', url: '/inventory/PO-A', headers: auth(read) });
    expect(after.json().openPurchaseOrder).toBeNull();
  });

  it('GET /purchase-orders lists open requests by default, closed and all on request, newest first', async () => {
    await put('po-a', { onHand: 1, safetyStock: 5 });
    env.clock.advance(1);
    await put('po-b', { onHand: 1, safetyStock: 5 });
    env.clock.advance(1);
    await put('po-c', { onHand: 9, safetyStock: 5 });
    await put('po-a', { onHand: 9 });

    const open = await list();
    expect(open.statusCode).toBe(200);
    expect(open.headers['content-type']).toMatch(/^application\/json/);
    expect(open.json()).toEqual({
      items: [
        {
          id: expect.any(String),
          sku: 'PO-B',
          status: 'OPEN',
          quantity: 4,
          available: 1,
          safetyStock: 5,
          reorderQuantity: 0,
          requestedAt: expect.any(String),
          closedAt: null,
          remindersSent: 0,
        },
      ],
      nextCursor: null,
    });
    expect((await list('?status=closed')).json().items).toEqual([
      expect.objectContaining({ sku: 'PO-A', status: 'CLOSED', closedAt: expect.any(String) }),
    ]);
    expect((await list('?status=all')).json().items.map((i: { sku: string }) => i.sku)).toEqual([
      'PO-B',
      'PO-A',
    ]);
  });

  it('pages with limit and cursor', async () => {
    for (const sku of ['p1', 'p2', 'p3']) {
      await put(sku, { onHand: 0, safetyStock: 1 });
      env.clock.advance(1);
    }
    const first = (await list('?limit=2')).json();
    expect(first.items.map((i: { sku: string }) => i.sku)).toEqual(['P3', 'P2']);
    const second = (await list(`?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second).toEqual({ items: [expect.objectContaining({ sku: 'P1' })], nextCursor: null });
  });

  it.each([
    ['?status=pending', 'validation-error'],
    ['?limit=0', 'validation-error'],
    ['?limit=201', 'validation-error'],
    ['?cursor=not-ours', 'validation-error'],
    ['?colour=red', 'validation-error'],
  ])('answers 400 problem+json for %s', async (query, slug) => {
    expectProblem(await list(query), 400, slug);
  });

  it('needs a token with inventory:read', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/purchase-orders' }), 401, 'unauthorized');
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/purchase-orders', headers: auth(admin) }),
      403,
      'forbidden',
    );
  });

  it('is documented in the OpenAPI document with its query and page schema', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/purchase-orders'].get;
    expect(op.security).toEqual([{ bearerAuth: ['inventory:read'] }]);
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit', 'status']);
    const schema = op.responses['200'].content['application/json'].schema;
    expect(schema.properties.items.items.properties).toHaveProperty('remindersSent');
  });
});
