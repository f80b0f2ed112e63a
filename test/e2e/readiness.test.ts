import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { createTestVhost, type TestVhost } from '../support/amqp';
import { createTestDatabase, requireEnv, type TestDatabase } from '../support/db';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import { freePort, ServiceProcess, terminateOpenWorkflows } from '../support/serviceProcess';
import { amqpTarget, TcpProxy } from '../support/tcp-proxy';
import { uniqueTaskQueue } from '../support/temporal';
import { expectStatus } from './assertions';
import { Api, mintTokens, type Tokens } from './harness';

jest.setTimeout(240_000);

interface Readiness {
  status: 'ok' | 'degraded' | 'unavailable';
  roles: Record<string, { state: string; detail?: string }>;
  checks: Record<string, { ok: boolean; state: string; detail?: string }>;
}

async function readiness(service: ServiceProcess): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Readiness };
}

/**
 * /health/ready of the documented split layout, real processes: `ROLES=api` (RESERVE_MODE=workflow,
 * where a reserve needs a worker) and `ROLES=worker,bridge,relay`, whose ops listener serves
 * /health/* and /metrics. Both on this file's database, vhost and task queue; the worker process
 * reaches RabbitMQ through a proxy this test cuts.
 */
/** The nice value of a process's main thread (/proc/PID/stat, field 19). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('readiness in the split layout (e2e, real processes)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let proxy: TcpProxy;
  let tokens: Tokens;
  const secret = randomBytes(32).toString('hex');
  const taskQueue = uniqueTaskQueue('e2e_split');
  const processes: ServiceProcess[] = [];
  let api: ServiceProcess;
  let worker: ServiceProcess;

  const start = async (env: Record<string, string>, options: { amqpUrl?: string; waitFor?: 'live' } = {}) => {
    const service = await ServiceProcess.start({
      databaseUrl: db.url,
      amqpUrl: options.amqpUrl ?? vhost.url,
      jwtSecret: secret,
      taskQueue,
      env,
      waitFor: options.waitFor,
    });
    processes.push(service);
    return service;
  };

  beforeAll(async () => {
    db = await createTestDatabase('inv_e2e_ready');
    vhost = await createTestVhost('inv_e2e_ready');
    proxy = await TcpProxy.start(amqpTarget(requireEnv('AMQP_URL')));
    tokens = await mintTokens(secret);
  });

  afterAll(async () => {
    proxy?.restore();
    for (const p of processes) await p.kill();
    await terminateOpenWorkflows(taskQueue).catch(() => undefined);
    await proxy?.close();
    await vhost?.drop();
    await db?.drop();
  });

  it('ROLES=api in workflow mode is not ready while no worker polls the task queue, and ready once one does', async () => {
    api = await start({ ROLES: 'api', RESERVE_MODE: 'workflow' }, { waitFor: 'live' });
    const alone = await readiness(api);
    expect(alone.status).toBe(503);
    expect(alone.body.checks.postgres).toMatchObject({ ok: true });
    expect(alone.body.checks.workerPollers).toMatchObject({ ok: false, state: 'down' });
    expect(alone.body.checks.workerPollers!.detail).toContain(taskQueue);
    expect(alone.body.roles).toEqual({ api: expect.objectContaining({ state: 'starting' }) });

    worker = await start(
      { ROLES: 'worker,bridge,relay', PROCESS_NICE: '10' },
      { amqpUrl: proxy.proxiedUrl(vhost.url) },
    );
    // PROCESS_NICE lowered the worker's priority (the api keeps the one it inherited from this test).
    expect(niceOf(worker.pid)).toBe(Math.max(10, getPriority()));
    expect(niceOf(api.pid)).toBe(getPriority());
    // The worker process's ops listener: its own roles, and its metrics.
    const own = await readiness(worker);
    expect(own.status).toBe(200);
    expect(own.body.roles).toEqual({
      worker: expect.objectContaining({ state: 'ok' }),
      bridge: expect.objectContaining({ state: 'ok' }),
      relay: expect.objectContaining({ state: 'ok' }),
    });
    const metrics = await fetch(`${worker.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# TYPE \w+/m);
    expect((await fetch(`${worker.url}/inventory/SKU-1`)).status).toBe(404);

    const ready = await eventually(
      async () => {
        const r = await readiness(api);
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the api ready once the worker process polls' },
    );
    expect(ready.body.checks.workerPollers).toMatchObject({ ok: true, state: 'ok' });
    expect(ready.body.roles.api).toMatchObject({ state: 'ok' });

    // Ready means it can reserve.
    const http = new Api(api.url, tokens.all);
    const sku = uniqueSku('SPLIT');
    expectStatus(await http.put(`/inventory/${sku}`, { onHand: 5 }), 201);
    expectStatus(
      await http.post(`/inventory/${sku}/reserve`, { orderId: uniqueOrderId('split'), quantity: 2 }),
      201,
    );
  });

  it('the worker process is 503 while its bridge cannot consume (RabbitMQ cut); the api stays 200', async () => {
    proxy.cut();
    const apiStatuses: number[] = [];
    const down = await eventually(
      async () => {
        apiStatuses.push((await readiness(api)).status);
        const r = await readiness(worker);
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the worker process reporting its bridge down' },
    );
    expect(down.body.roles.bridge).toMatchObject({ state: 'down' });
    // The relay stands by or stays active; the events wait in the outbox.
    expect(down.body.roles.relay!.state).not.toBe('down');
    expect(down.body.checks.rabbitmq).toMatchObject({ ok: false });
    expect(apiStatuses.filter((s) => s !== 200)).toEqual([]);

    proxy.restore();
    await eventually(async () => (await readiness(worker)).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'the worker process ready again after the broker is back',
    });
  });

  it('ROLES=api in db mode stays 200 (degraded) without Temporal, and without any worker', async () => {
    const dbMode = await start(
      // Nothing listens there: Temporal unreachable.
      { ROLES: 'api', RESERVE_MODE: 'db', TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` },
      { waitFor: 'live' },
    );
    const r = await eventually(
      async () => {
        const res = await readiness(dbMode);
        return res.body.checks.temporal ? res : undefined;
      },
      { timeoutMs: 20_000, what: 'a readiness answer with the temporal check' },
    );
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('degraded');
    expect(r.body.roles.api).toMatchObject({ state: 'degraded' });
    expect(r.body.checks.temporal).toMatchObject({ ok: false, state: 'degraded' });
    expect(r.body.checks.workerPollers).toMatchObject({ ok: false, state: 'degraded' });
    expect(r.body.checks.postgres).toMatchObject({ ok: true, state: 'ok' });
    // It serves what needs only Postgres.
    const http = new Api(dbMode.url, tokens.all);
    expectStatus(await http.put(`/inventory/${uniqueSku('DBMODE')}`, { onHand: 1 }), 201);
    await dbMode.stop();
  });

  it('after the worker process is killed, the api in workflow mode turns 503 once the server stops seeing its polls', async () => {
    await worker.kill();
    const gone = await eventually(
      async () => {
        const r = await readiness(api);
        return r.status === 503 ? r : undefined;
      },
      // An idle worker's poll lasts up to a minute: the server sees no poll of a dead one after that.
      { timeoutMs: 150_000, intervalMs: 1_000, what: 'the api unready once no worker polls' },
    );
    expect(gone.body.roles.api).toMatchObject({ state: 'down' });
    expect(gone.body.checks.workerPollers).toMatchObject({ ok: false, state: 'down' });
  });
});
