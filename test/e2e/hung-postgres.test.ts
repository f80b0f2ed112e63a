import { randomBytes } from 'node:crypto';
import { OUTCOME_GRACE_MS } from '../../src/application/landed';
import { createTestVhost, type TestVhost } from '../support/amqp';
import { createTestDatabase, withPg, type TestDatabase } from '../support/db';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import { ServiceProcess } from '../support/serviceProcess';
import { TcpProxy } from '../support/tcp-proxy';
import { expectProblem, expectStatus } from './assertions';
import { Api, mintTokens } from './harness';

jest.setTimeout(120_000);

const DEADLINE_MS = 1_000;
/** Timer, scheduling and wire slack on a loaded CI machine. */
const SLACK_MS = 1_500;

/**
 * The api process (`ROLES=api`, `RESERVE_MODE=db`) in front of a Postgres that stops answering: the
 * proxy between them keeps every connection open and forwards nothing. A reserve and a stock read
 * each answer a 503 problem by REQUEST_DEADLINE_MS (plus the read-back grace), not after the pool's
 * or the transaction's own limits; readiness reports Postgres down; and once it answers again the
 * refused reserve turns out to have held nothing.
 */
describe('the api while Postgres hangs (e2e, real process)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let proxy: TcpProxy;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('inv_e2e_hung');
    vhost = await createTestVhost('inv_e2e_hung');
    const direct = new URL(db.url);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  });

  afterAll(async () => {
    proxy?.resume();
    await service?.kill();
    await proxy?.close();
    await vhost?.drop();
    await db?.drop();
  });

  /** The api process (`ROLES=api`, db mode, REQUEST_DEADLINE_MS=DEADLINE_MS) behind the proxy. */
  async function startApi(): Promise<Api> {
    const secret = randomBytes(32).toString('hex');
    service = await ServiceProcess.start({
      databaseUrl: proxy.proxiedUrl(db.url),
      amqpUrl: vhost.url,
      jwtSecret: secret,
      env: { ROLES: 'api', RESERVE_MODE: 'db', REQUEST_DEADLINE_MS: String(DEADLINE_MS) },
    });
    return new Api(service.url, (await mintTokens(secret)).all);
  }

  /** Once Postgres answers again: the SKU's stock level as the api reads it. */
  function readsAgain(api: Api, sku: string) {
    return eventually(
      async () => {
        const res = await api.get(`/inventory/${sku}`);
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'stock reads answered again' },
    );
  }

  it('answers 503 by the deadline, and the refused reserve held nothing', async () => {
    const api = await startApi();
    const sku = uniqueSku('HUNG');
    expectStatus(await api.put(`/inventory/${sku}`, { onHand: 4 }), 201);
    expectStatus(await api.get(`/inventory/${sku}`), 200);

    proxy.stall();
    const orderId = uniqueOrderId('hung');
    let started = Date.now();
    const reserve = await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 2 });
    const reserveMs = Date.now() - started;
    expectProblem(reserve, 503, 'service-unavailable');
    expect(reserve.headers.get('retry-after')).toBe('1');
    expect(reserveMs).toBeLessThan(DEADLINE_MS + OUTCOME_GRACE_MS + SLACK_MS);

    started = Date.now();
    const read = await api.get(`/inventory/${sku}`);
    const readMs = Date.now() - started;
    expectProblem(read, 503, 'service-unavailable');
    expect(readMs).toBeLessThan(DEADLINE_MS + SLACK_MS);

    const ready = await fetch(`${api.baseUrl}/health/ready`, { signal: AbortSignal.timeout(10_000) });
    expect(ready.status).toBe(503);
    expect(
      ((await ready.json()) as { checks: Record<string, { ok: boolean }> }).checks.postgres,
    ).toMatchObject({ ok: false });

    proxy.resume();
    const back = await readsAgain(api, sku);
    expect(back.body).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
    await withPg(db.url, async (c) => {
      const held = await c.query('SELECT 1 FROM reservations WHERE order_id = $1', [orderId]);
      expect(held.rowCount).toBe(0);
    });
    // The refused reserve is a new one when retried: nothing of the first had landed.
    const retried = expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 2 }), 201);
    expect(retried.body).toMatchObject({ orderId, status: 'RESERVED' });
  });

  it('answers every other call with a 503 problem by the deadline too, and the refused writes changed nothing', async () => {
    // Its own process and SKU: the first case leaves its pool's connections to the stalled Postgres
    // dropped and reopened, which this one does not depend on.
    await service?.kill();
    const api = await startApi();
    const sku = uniqueSku('HUNG2');
    const orderId = uniqueOrderId('hung2');
    expectStatus(await api.put(`/inventory/${sku}`, { onHand: 6 }), 201);
    expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 1 }), 201);
    const ledger = () =>
      withPg(db.url, async (c) => {
        const { rows } = await c.query<{ type: string }>(
          'SELECT type FROM stock_movements WHERE sku = $1 ORDER BY id',
          [sku],
        );
        return rows.map((r) => r.type);
      });
    const ledgerBefore = await ledger();

    proxy.stall();
    const key = (n: number) => ({ headers: { 'idempotency-key': `"hung-${orderId}-${n}"` } });
    const calls: [string, () => ReturnType<Api['get']>][] = [
      [
        'a reserve with an Idempotency-Key',
        () => api.post(`/inventory/${sku}/reserve`, { orderId: `${orderId}-b`, quantity: 1 }, key(1)),
      ],
      ['GET /reservations/:orderId', () => api.get(`/reservations/${orderId}`)],
      ['GET /inventory/:sku/movements', () => api.get(`/inventory/${sku}/movements`)],
      ['GET /purchase-orders', () => api.get('/purchase-orders')],
      ['PUT /inventory/:sku', () => api.put(`/inventory/${sku}`, { onHand: 9 })],
      ['POST /inventory/:sku/replenish', () => api.post(`/inventory/${sku}/replenish`, { quantity: 2 })],
      [
        'POST /inventory/:sku/adjustments',
        () => api.post(`/inventory/${sku}/adjustments`, { delta: -1, reason: 'damaged' }),
      ],
      ['POST /inventory/:sku/release', () => api.post(`/inventory/${sku}/release`, { orderId })],
      [
        'POST /reservations/:orderId/extend',
        () => api.post(`/reservations/${orderId}/extend`, { ttlSeconds: 600 }),
      ],
    ];
    const answers: { call: string; status: number; type: unknown; ms: number }[] = [];
    for (const [call, send] of calls) {
      const started = Date.now();
      const res = await send().catch((e: unknown) => ({ status: 0, body: { type: String(e) } }));
      answers.push({
        call,
        status: res.status,
        type: (res.body as { type?: unknown })?.type,
        ms: Date.now() - started,
      });
    }
    // All of them in one comparison, so that a failure lists every call that did not answer in time.
    expect(answers).toEqual(
      calls.map(([call]) => ({
        call,
        status: 503,
        type: expect.stringMatching(/service-unavailable$/),
        ms: expect.any(Number),
      })),
    );
    expect(answers.filter((a) => a.ms >= DEADLINE_MS + OUTCOME_GRACE_MS + SLACK_MS)).toEqual([]);

    proxy.resume();
    const back = await readsAgain(api, sku);
    // None of the refused writes landed: the levels, the reservation and the ledger are as before.
    expect(back.body).toMatchObject({ onHand: 6, reserved: 1, available: 5 });
    const reservation = expectStatus(await api.get(`/reservations/${orderId}`), 200);
    expect(reservation.body).toMatchObject({ status: 'RESERVED' });
    expect(await ledger()).toEqual(ledgerBefore);
    expect(ledgerBefore).toContain('RESERVE');
  });
});
