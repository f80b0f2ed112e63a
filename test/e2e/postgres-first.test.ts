import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { reservationWorkflowId } from '../../workflows/shared';
import type { CollectedMessage, EventCollector } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import type { OrderEventsPublisher } from '../support/orderEvents';
import { ServiceProcess } from '../support/serviceProcess';
import { TcpProxy } from '../support/tcp-proxy';
import { expectStatus, type ReservationBody, type StockLevelBody } from './assertions';
import { Api, startSagaE2E, type SagaEnvironment } from './harness';

jest.setTimeout(120_000);

const TEMPORAL = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const [temporalHost, temporalPort] = [TEMPORAL.split(':')[0]!, Number(TEMPORAL.split(':')[1])];

/**
 * RESERVE_MODE=db against real Postgres, RabbitMQ and the Temporal dev server (issue 13 item 9): the
 * reserve is one Postgres transaction, the workflow follows from the dispatcher. Temporal outages are
 * played with a TCP proxy of this test's own between the service and the shared dev server.
 */
describe('the Postgres-first reserve (e2e, RESERVE_MODE=db)', () => {
  let proxy: TcpProxy;
  let env: SagaEnvironment;
  let events: EventCollector;
  let orderService: OrderEventsPublisher;
  let temporal: Connection;
  let client: Client;
  let pg: PgClient;
  const extra: ServiceProcess[] = [];

  beforeAll(async () => {
    proxy = await TcpProxy.start({ host: temporalHost, port: temporalPort });
    env = await startSagaE2E('inv_e2e_pgfirst', {
      // The expiry sweep off: these tests show what reads, reserves and the workflow do without it.
      env: { RESERVE_MODE: 'db', TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`, EXPIRY_SWEEP_INTERVAL_MS: '0' },
    });
    ({ events, orderService } = env);
    temporal = await Connection.connect({ address: TEMPORAL });
    client = new Client({ connection: temporal, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    pg = new PgClient({ connectionString: env.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    for (const p of extra) await p.kill();
    await pg?.end();
    await temporal?.close();
    proxy?.restore();
    await env?.teardown();
    await proxy?.close();
  });

  /** Another process of the service on the same database, vhost and task queue. */
  async function startProcess(
    roles: string,
    overrides: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    const p = await ServiceProcess.start({
      databaseUrl: env.db.url,
      amqpUrl: env.vhost.url,
      jwtSecret: env.secret,
      taskQueue: env.service.taskQueue,
      env: { RESERVE_MODE: 'db', ROLES: roles, ...overrides },
    });
    extra.push(p);
    return p;
  }

  async function createSku(api: Api, onHand: number): Promise<string> {
    const sku = uniqueSku('PGF');
    expectStatus(await api.put(`/inventory/${sku}`, { onHand }), 201);
    return sku;
  }

  const level = async (api: Api, sku: string) =>
    expectStatus(await api.get<StockLevelBody>(`/inventory/${sku}`), 200).body;

  const ofOrder = (type: string, orderId: string) => (m: CollectedMessage) =>
    m.routingKey === type && (m.body?.data as { orderId?: string } | undefined)?.orderId === orderId;

  async function pendingRequests(orderId: string): Promise<number> {
    const { rows } = await pg.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM workflow_requests WHERE order_id = $1',
      [orderId],
    );
    return rows[0]!.n;
  }

  async function movements(orderId: string) {
    const { rows } = await pg.query<{ sku: string; type: string; reason: string | null }>(
      'SELECT sku, type, reason FROM stock_movements WHERE order_id = $1 ORDER BY id',
      [orderId],
    );
    return rows;
  }

  /** Every run of the order's workflow (Temporal's visibility store). */
  async function runsOf(orderId: string) {
    const runs = [];
    for await (const run of client.workflow.list({
      query: `WorkflowId = '${reservationWorkflowId(orderId)}'`,
    })) {
      runs.push(run);
    }
    return runs;
  }

  /** The workflow's result, once the dispatcher has started it (it may still be backing off). */
  async function workflowResult(orderId: string) {
    const handle = client.workflow.getHandle(reservationWorkflowId(orderId));
    await eventually(
      () =>
        handle.describe().then(
          () => true,
          () => undefined,
        ),
      { timeoutMs: 30_000 },
    );
    return handle.result();
  }

  it('answers reserves while Temporal is unreachable; decisions made meanwhile are kept; workflows follow', async () => {
    const sku = await createSku(env.api, 10);
    proxy.cut();
    try {
      const a = uniqueOrderId('outage-a');
      const b = uniqueOrderId('outage-b');
      expectStatus(await env.api.post(`/inventory/${sku}/reserve`, { orderId: a, quantity: 2 }), 201);
      expectStatus(
        await env.api.post('/reservations', { orderId: b, lines: [{ sku, quantity: 3 }], ttlSeconds: 600 }),
        201,
      );
      expect(await level(env.api, sku)).toMatchObject({ reserved: 5, available: 5 });
      // order-service cancels B while Temporal is still away: recorded, not lost.
      await orderService.publish('OrderCancelled', { orderId: b, reason: 'payment declined' });
      await eventually(async () => (await pendingRequests(b)) === 2, { timeoutMs: 15_000 });
      expect(await pendingRequests(a)).toBe(1);
      expect(await runsOf(a)).toEqual([]);

      proxy.restore();
      // Without anyone's help: the dispatcher's backoff ends, every reservation gets its workflow.
      expect(await workflowResult(b)).toMatchObject({ phase: 'RELEASED', releaseReason: 'cancelled' });
      await eventually(async () => (await pendingRequests(a)) === 0 && (await runsOf(a)).length === 1, {
        timeoutMs: 30_000,
      });
      await orderService.publish('OrderConfirmed', { orderId: a });
      expect(await workflowResult(a)).toMatchObject({ phase: 'CONFIRMED' });
      expect(await level(env.api, sku)).toMatchObject({ onHand: 8, reserved: 0, available: 8 });
      expect(await movements(b)).toEqual([
        { sku, type: 'RESERVE', reason: null },
        { sku, type: 'RELEASE', reason: 'cancelled' },
      ]);
      await events.waitFor(ofOrder('StockCommitted', a), 10_000);
    } finally {
      proxy.restore();
    }
  });

  it('keeps a cancel that overtook its reserve: the reserve answers 410 and holds nothing', async () => {
    const sku = await createSku(env.api, 4);
    const orderId = uniqueOrderId('early-cancel');
    await orderService.publish('OrderCancelled', { orderId, reason: 'checkout timed out' });
    const closed = await eventually(
      async () => {
        const res = await env.api.get<ReservationBody>(`/reservations/${orderId}`);
        return res.status === 200 ? res.body : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(closed).toMatchObject({ status: 'RELEASED', releaseReason: 'cancelled', lines: [] });

    const late = await env.api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 1 });
    expect(late.status).toBe(410);
    expect(late.contentType).toMatch(/application\/problem\+json/);
    expect(await level(env.api, sku)).toMatchObject({ reserved: 0, available: 4 });
    expect(await movements(orderId)).toEqual([]);
    expect(await pendingRequests(orderId)).toBe(0);
  });

  it('with no worker running, expired units are available to reads and reserves, released once; the workflow later finds the rest', async () => {
    // The main process's worker and dispatcher are cut off from Temporal; this one has neither.
    proxy.cut();
    try {
      await expiryWithoutWorker();
    } finally {
      proxy.restore();
    }
  });

  async function expiryWithoutWorker(): Promise<void> {
    const api = new Api((await startProcess('api,bridge,relay')).url, env.tokens.all);
    const a = await createSku(api, 3);
    const b = await createSku(api, 2);
    const old = uniqueOrderId('expired');
    const reserved = expectStatus(
      await api.post<ReservationBody>('/reservations', {
        orderId: old,
        lines: [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 1 },
        ],
        ttlSeconds: 2,
      }),
      201,
    ).body;
    expect(await level(api, a)).toMatchObject({ available: 0 });

    // As soon as the clock passes expiresAt, reads count those units as available again.
    const expiresAt = Date.parse(reserved.expiresAt);
    await eventually(() => Date.now() > expiresAt, { timeoutMs: 10_000, intervalMs: 20 });
    expect(await level(api, a)).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    // And a reserve takes them: the expired line is released on the way, once, with reason expired.
    const next = uniqueOrderId('after-expiry');
    expectStatus(await api.post(`/inventory/${a}/reserve`, { orderId: next, quantity: 3 }), 201);
    expect(await movements(old)).toEqual([
      { sku: a, type: 'RESERVE', reason: null },
      { sku: b, type: 'RESERVE', reason: null },
      { sku: a, type: 'RELEASE', reason: 'expired' },
    ]);

    // The worker and the dispatcher come back: the old order's workflow starts, already past its TTL;
    // it releases the line still held, and nothing twice.
    proxy.restore();
    expect(await workflowResult(old)).toMatchObject({ phase: 'RELEASED', releaseReason: 'expired' });
    expect(await movements(old)).toEqual([
      { sku: a, type: 'RESERVE', reason: null },
      { sku: b, type: 'RESERVE', reason: null },
      { sku: a, type: 'RELEASE', reason: 'expired' },
      { sku: b, type: 'RELEASE', reason: 'expired' },
    ]);
    await events.waitFor(
      (m) => ofOrder('StockReleased', old)(m) && (m.body?.data as { sku?: string }).sku === b,
      10_000,
    );
    const released = events.distinct(ofOrder('StockReleased', old));
    expect(released.map((m) => (m.body?.data as { sku: string; reason: string }).sku).sort()).toEqual(
      [a, b].sort(),
    );
    expect(released.every((m) => (m.body?.data as { reason: string }).reason === 'expired')).toBe(true);
    expect(await level(api, b)).toMatchObject({ reserved: 0, available: 2 });
  }

  it('survives the dispatcher being killed between commit and delivery: one workflow, one RESERVE per line', async () => {
    const service = await startProcess('api,worker,bridge,relay', {
      TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`,
    });
    const api = new Api(service.url, env.tokens.all);
    const sku = await createSku(api, 5);
    const orderId = uniqueOrderId('crash');
    proxy.cut();
    try {
      expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 2 }), 201);
      expect(await pendingRequests(orderId)).toBe(1);
      await service.kill(); // SIGKILL, the request still undelivered
    } finally {
      proxy.restore();
    }
    // The suite's main process (and its dispatcher) reaches Temporal again and delivers it.
    await eventually(async () => (await pendingRequests(orderId)) === 0, { timeoutMs: 30_000 });
    const runs = await eventually(
      async () => {
        const found = await runsOf(orderId);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(runs).toHaveLength(1);
    expect(await movements(orderId)).toEqual([{ sku, type: 'RESERVE', reason: null }]);
    await orderService.publish('OrderCancelled', { orderId });
    expect(await workflowResult(orderId)).toMatchObject({ phase: 'RELEASED', releaseReason: 'cancelled' });
    expect(await runsOf(orderId)).toHaveLength(1);
  });
});
