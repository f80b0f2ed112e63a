import { DomainError, ErrorCodes, ValidationError } from '../../../src/domain/errors';
import { expectProblem, testApp, token, type TestApp } from './fakes';

describe('problem+json errors', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    admin = await token('inventory:admin', 'inventory:read');
  });
  beforeEach(() => {
    t = testApp();
  });
  afterEach(() => t.app.close());

  const put = (payload: string | Buffer, contentType = 'application/json', url = '/inventory/SKU-1') =>
    t.app.inject({
      method: 'PUT',
      url,
      headers: { authorization: `Bearer ${admin}`, 'content-type': contentType },
      payload,
    });

  it('renders RFC 9457 documents with a stable type URI, the request as instance and the request id', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/inventory/NOPE/movements?limit=5',
      headers: { authorization: `Bearer ${admin}` },
    });
    const body = expectProblem(res, 404, 'sku-not-found');
    expect(body).toEqual({
      type: 'https://inventory-service/problems/sku-not-found',
      title: 'Unknown SKU',
      status: 404,
      detail: 'Unknown SKU NOPE',
      instance: '/inventory/NOPE/movements?limit=5',
      skus: ['NOPE'],
    });
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('echoes a caller-provided x-request-id', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(res.headers['x-request-id']).toBe('abc-123');
  });

  it('answers 413 for a body over the limit', async () => {
    expectProblem(
      await put(JSON.stringify({ onHand: 1, pad: 'x'.repeat(70_000) })),
      413,
      'payload-too-large',
    );
  });

  it.each([
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
  ])('answers 415 for %s', async (contentType) => {
    expectProblem(await put('onHand=1', contentType), 415, 'unsupported-media-type');
  });

  it('answers 415 for a body without a content type', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/inventory/SKU-1',
      headers: { authorization: `Bearer ${admin}` },
      payload: Buffer.from('{"onHand":1}'),
    });
    expectProblem(res, 415, 'unsupported-media-type');
  });

  it.each([
    '{bad',
    '',
    '{"onHand":1',
    '{"__proto__":{"admin":true},"onHand":1}',
    '{"constructor":{"prototype":{}},"onHand":1}',
  ])('answers 400 malformed-request for the JSON %j', async (payload) => {
    expectProblem(await put(payload), 400, 'malformed-request');
  });

  it.each(['null', '1', '"x"', '[]', 'true'])('answers 400 for the JSON value %s', async (payload) => {
    expectProblem(await put(payload), 400, 'validation-error');
  });

  it('answers 400 for a URL that is not valid percent-encoding', async () => {
    expectProblem(
      await put('{"onHand":1}', 'application/json', '/inventory/%E0%A4%A'),
      400,
      'malformed-request',
    );
  });

  it('answers 414 for a path parameter longer than the router accepts', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/inventory/${'x'.repeat(600)}` });
    expectProblem(res, 414, 'uri-too-long');
  });

  it('answers 404 problem for an unknown route or method', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/nope' }), 404, 'not-found');
    expectProblem(
      await t.app.inject({
        method: 'DELETE',
        url: '/inventory/SKU-1',
        headers: { authorization: `Bearer ${admin}` },
      }),
      404,
      'not-found',
    );
  });

  it('maps a ValidationError the application raises to 400 with its code', async () => {
    t.fake.setLevels = async () => {
      throw new ValidationError(ErrorCodes.INVALID_STOCK_LEVEL, 'onHand too large', { max: 1 });
    };
    const body = expectProblem(await put('{"onHand":5}'), 400, 'validation-error');
    expect(body).toMatchObject({
      code: 'INVENTORY.INVALID_STOCK_LEVEL',
      details: { max: 1 },
      detail: 'onHand too large',
    });
  });

  it('maps a domain conflict the application raises to 409', async () => {
    t.fake.setLevels = async () => {
      throw new DomainError(ErrorCodes.ON_HAND_BELOW_RESERVED, 'below reserved');
    };
    expectProblem(await put('{"onHand":5}'), 409, 'on-hand-below-reserved');
  });

  it('maps an on-hand limit the domain raises to 409 with the levels', async () => {
    t.fake.setLevels = async () => {
      throw new DomainError(ErrorCodes.ON_HAND_LIMIT_EXCEEDED, 'too much', { onHand: 9, max: 10 });
    };
    const body = expectProblem(await put('{"onHand":5}'), 409, 'on-hand-limit-exceeded');
    expect(body).toMatchObject({ code: 'INVENTORY.ON_HAND_LIMIT_EXCEEDED', onHand: 9, max: 10 });
  });

  it('answers 503 with Retry-After when the port reports a transient failure (e.g. Temporal unreachable)', async () => {
    t.fake.reserve = async () => {
      throw Object.assign(new Error('reserve: Temporal unavailable (14 UNAVAILABLE)'), { transient: true });
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: { authorization: `Bearer ${await token('inventory:reserve')}` },
      payload: { orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 1 }] },
    });
    const body = expectProblem(res, 503, 'service-unavailable');
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.stringify(body)).not.toContain('UNAVAILABLE');
  });

  it('answers 503 deadline-exceeded with Retry-After when the reserve missed its deadline (nothing reserved)', async () => {
    t.fake.reserve = async () => {
      throw new DomainError(
        ErrorCodes.DEADLINE_EXCEEDED,
        "The reserve's deadline has passed: nothing was reserved",
      );
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/inventory/SKU-1/reserve',
      headers: { authorization: `Bearer ${await token('inventory:reserve')}` },
      payload: { orderId: 'o-1', quantity: 1 },
    });
    expect(expectProblem(res, 503, 'deadline-exceeded')).toMatchObject({
      code: ErrorCodes.DEADLINE_EXCEEDED,
    });
    expect(res.headers['retry-after']).toBe('1');
  });

  it('answers 500 internal-error without leaking the cause', async () => {
    t.fake.getStockLevel = async () => {
      throw new Error('connection to 10.0.0.7:5432 refused');
    };
    const res = await t.app.inject({
      method: 'GET',
      url: '/inventory/SKU-1',
      headers: { authorization: `Bearer ${admin}` },
    });
    const body = expectProblem(res, 500, 'internal-error');
    expect(JSON.stringify(body)).not.toContain('10.0.0.7');
  });

  it('answers 500 (not a half-written body) when the application returns a shape off the contract', async () => {
    t.fake.getStockLevel = async () => ({ sku: 'SKU-1' }) as never;
    const res = await t.app.inject({
      method: 'GET',
      url: '/inventory/SKU-1',
      headers: { authorization: `Bearer ${admin}` },
    });
    expectProblem(res, 500, 'internal-error');
  });
});
