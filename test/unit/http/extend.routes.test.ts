import { expectProblem, testApp, token, type TestApp } from './fakes';

describe('POST /reservations/:orderId/extend', () => {
  let t: TestApp;
  let reserve: string;
  const extend = (orderId: string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: `/reservations/${orderId}/extend`,
      headers: { authorization: `Bearer ${reserve}` },
      payload: payload as object,
    });

  beforeAll(async () => {
    reserve = await token('inventory:reserve');
  });
  beforeEach(async () => {
    t = testApp();
    await t.fake.setLevels({ sku: 'SKU-1', onHand: 10 });
    await t.fake.reserve({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] });
  });
  afterEach(() => t.app.close());

  it('extends through the orchestrator and answers the Reservation with its new expiry', async () => {
    const res = await extend('o-1', { ttlSeconds: 600 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      orderId: 'o-1',
      status: 'RESERVED',
      expiresAt: '2030-01-01T00:10:00.000Z',
    });
    expect(t.fake.calls.at(-1)).toEqual({
      method: 'extend',
      arg: { orderId: 'o-1', ttlSeconds: 600 },
      options: { deadline: expect.any(Date) },
    });
  });

  it('answers 404 without a reservation', async () => {
    expectProblem(await extend('o-404', { ttlSeconds: 60 }), 404, 'reservation-not-found');
  });

  it('answers 410 once the reservation is released', async () => {
    await t.fake.release({ orderId: 'o-1', reason: 'released' });
    const body = expectProblem(await extend('o-1', { ttlSeconds: 60 }), 410, 'reservation-closed');
    expect(body.reservation).toMatchObject({ status: 'RELEASED' });
  });

  it.each([
    [{}],
    [{ ttlSeconds: 0 }],
    [{ ttlSeconds: 86_401 }],
    [{ ttlSeconds: 1.5 }],
    [{ ttlSeconds: 60, x: 1 }],
  ])('answers 400 for %j', async (payload) => {
    expectProblem(await extend('o-1', payload), 400, 'validation-error');
    expect(t.fake.calls.filter((c) => c.method === 'extend')).toEqual([]);
  });

  it('answers 400 for an invalid order id, 403 without the reserve scope', async () => {
    expectProblem(await extend('bad%20id', { ttlSeconds: 60 }), 400, 'validation-error');
    const res = await t.app.inject({
      method: 'POST',
      url: '/reservations/o-1/extend',
      headers: { authorization: `Bearer ${await token('inventory:read')}` },
      payload: { ttlSeconds: 60 },
    });
    expectProblem(res, 403, 'forbidden');
  });

  it('is documented with its body, example and problems', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/reservations/{orderId}/extend'].post;
    expect(op.security).toEqual([{ bearerAuth: ['inventory:reserve'] }]);
    expect(JSON.stringify(op.requestBody)).toContain('"ttlSeconds":600');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '404', '410']));
  });
});
