import { randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Client } from 'pg';
import { requireEnv } from '../support/db';
import { EventCollector } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import { OtlpSink } from '../support/otlpSink';
import { amqpTarget, TcpProxy } from '../support/tcp-proxy';
import { expectStatus, type ReservationBody } from './assertions';
import { startE2E, type Api, type E2EEnvironment } from './harness';

jest.setTimeout(90_000);

interface Readiness {
  status: string;
  roles?: Record<string, { state: string; detail?: string }>;
  checks: Record<string, { ok: boolean; state: string; detail?: string }>;
}

/**
 * A POST whose headers reach the server before its body: with `Expect: 100-continue`, Node's server
 * answers 100 once it has parsed the headers, so after `accepted` the request is provably in flight in
 * the service (its connection accepted, its route matched), with the body still to come.
 */
class SlowPost {
  readonly accepted: Promise<void>;
  readonly response: Promise<{ status: number; body: string }>;
  private readonly req: ClientRequest;

  constructor(
    url: string,
    token: string,
    private readonly payload: string,
    headers: Record<string, string> = {},
  ) {
    this.req = httpRequest(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(payload)),
        expect: '100-continue',
        ...headers,
      },
    });
    this.accepted = new Promise((resolve, reject) => {
      this.req.once('continue', () => resolve());
      this.req.once('error', reject);
    });
    this.response = new Promise((resolve, reject) => {
      this.req.once('response', (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      this.req.once('error', reject);
    });
    this.req.flushHeaders();
  }

  sendBody(): void {
    this.req.end(this.payload);
  }
}

async function connectionRefused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return false;
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return code === 'ECONNREFUSED';
  }
}

/**
 * The process's life: readiness that follows its dependencies, the outbox riding out a broker outage,
 * and a graceful SIGTERM. Its own service process (AMQP through a proxy this test can cut), since the
 * last test stops it.
 */
describe('service lifecycle (e2e, real service process)', () => {
  let env: E2EEnvironment;
  let api: Api;
  let proxy: TcpProxy;
  let sink: OtlpSink;
  let events: EventCollector;

  beforeAll(async () => {
    proxy = await TcpProxy.start(amqpTarget(requireEnv('AMQP_URL')));
    sink = await OtlpSink.start();
    env = await startE2E('inv_e2e_life', {
      amqpUrl: (vhostUrl) => proxy.proxiedUrl(vhostUrl),
      env: {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
        SHUTDOWN_GRACE_MS: '8000',
      },
    });
    api = env.api;
    // Straight to the broker, not through the proxy.
    events = await EventCollector.start(env.vhost.url);
  });

  afterAll(async () => {
    proxy?.restore();
    await events?.close();
    await env?.teardown();
    await proxy?.close();
    await sink?.close();
  });

  async function createSku(onHand: number): Promise<string> {
    const sku = uniqueSku('LIFE');
    expectStatus(await api.put(`/inventory/${sku}`, { onHand }), 201);
    return sku;
  }

  it('readiness: 200 degraded while the broker is unreachable (reserves still commit; their events go out once it is back)', async () => {
    const sku = await createSku(10);
    proxy.cut();
    // A load balancer polling all along would never have seen a 503: the api can still reserve.
    const seen: number[] = [];
    const degraded = await eventually(
      async () => {
        const res = await api.get<Readiness>('/health/ready', { token: null });
        seen.push(res.status);
        return res.body.checks.rabbitmq?.ok === false && res.body.checks.bridge?.ok === false
          ? res
          : undefined;
      },
      { timeoutMs: 10_000, what: '/health/ready reporting rabbitmq and the bridge down' },
    );
    expect(seen.filter((status) => status !== 200)).toEqual([]);
    expect(degraded.contentType).toMatch(/^application\/json/);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.checks.rabbitmq).toMatchObject({ ok: false, state: 'degraded' });
    expect(degraded.body.checks.postgres).toMatchObject({ ok: true, state: 'ok' });
    expect(degraded.body.roles).toMatchObject({
      api: { state: 'degraded' },
      bridge: { state: 'down' },
      worker: { state: 'ok' },
      relay: { state: 'degraded' },
    });
    // Liveness is about the process, not its dependencies.
    expectStatus(await api.get('/health/live', { token: null }), 200);

    // The transactional outbox: the reservation commits without the broker...
    const orderId = uniqueOrderId('outage');
    expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 2 }), 201);
    expect(events.filter((m) => (m.body?.data as { orderId?: string })?.orderId === orderId)).toHaveLength(0);
    expectStatus(await api.get('/health/ready', { token: null }), 200);

    // ...and its event is published when the broker is back.
    proxy.restore();
    const reserved = await events.waitFor(
      (m) => m.routingKey === 'StockReserved' && (m.body?.data as { orderId?: string })?.orderId === orderId,
      30_000,
    );
    expect(reserved.body?.data).toMatchObject({ sku, quantity: 2, available: 8 });
    await eventually(
      async () => (await api.get<Readiness>('/health/ready', { token: null })).body.status === 'ok',
      { timeoutMs: 30_000, what: '/health/ready answering ok again' },
    );
  });

  describe('graceful shutdown', () => {
    const traceId = randomBytes(16).toString('hex');
    const inFlight: { sku: string; orderId: string; post: SlowPost }[] = [];
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

    it('SIGTERM while requests are in flight: they complete, new connections are refused, then exit 0', async () => {
      for (let i = 0; i < 6; i++) {
        const sku = await createSku(10);
        const orderId = uniqueOrderId('drain');
        const post = new SlowPost(
          `${env.service.url}/inventory/${sku}/reserve`,
          env.tokens.reserve,
          JSON.stringify({ orderId, quantity: i + 1 }),
          { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
        );
        inFlight.push({ sku, orderId, post });
      }
      await Promise.all(inFlight.map((r) => r.post.accepted));
      // Half of them are already being served (their bodies are in, the reserve is under way)...
      for (const r of inFlight.slice(0, 3)) r.post.sendBody();

      process.kill(env.service.pid, 'SIGTERM');
      const exited = env.service.waitForExit();

      // ...the listener closes...
      await eventually(() => connectionRefused(`${env.service.url}/health/live`), {
        timeoutMs: 10_000,
        what: 'new connections refused after SIGTERM',
      });
      expect(env.service.exited).toBeUndefined();
      // ...and the other half only send their bodies now, after the listener has closed.
      for (const r of inFlight.slice(3)) r.post.sendBody();

      const settled = await Promise.allSettled(inFlight.map((r) => r.post.response));
      const failures = settled.flatMap((s, i) =>
        s.status === 'rejected'
          ? [
              `in-flight request ${i} (${i < 3 ? 'body sent before' : 'body sent after'} SIGTERM): ${String(s.reason)}`,
            ]
          : s.value.status !== 201
            ? [`in-flight request ${i}: ${s.value.status} ${s.value.body}`]
            : [],
      );
      if (failures.length > 0) throw new Error(`${failures.join('\n')}\n${env.service.tail()}`);
      const responses = settled.map(
        (s) => (s as PromiseFulfilledResult<{ status: number; body: string }>).value,
      );
      responses.forEach((res, i) => {
        const body = JSON.parse(res.body) as ReservationBody;
        expect(body).toMatchObject({ orderId: inFlight[i]!.orderId, status: 'RESERVED' });
      });

      let timer: NodeJS.Timeout | undefined;
      exit = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no exit within 30 s\n${env.service.tail()}`)), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
      if (exit.code !== 0) {
        throw new Error(`exit ${String(exit.code)} / ${String(exit.signal)}\n${env.service.tail()}`);
      }

      // What they answered was committed.
      const pg = new Client({ connectionString: env.db.url });
      await pg.connect();
      try {
        const { rows } = await pg.query<{ sku: string; reserved: number }>(
          'SELECT sku, reserved FROM stock_levels WHERE sku = ANY($1)',
          [inFlight.map((r) => r.sku)],
        );
        const reserved = Object.fromEntries(rows.map((r) => [r.sku, r.reserved]));
        expect(inFlight.map((r) => reserved[r.sku])).toEqual([1, 2, 3, 4, 5, 6]);
      } finally {
        await pg.end();
      }
    });

    it('flushes the spans of its last requests before exiting', async () => {
      // Independent of the previous test's verdict: whatever happened, the process was sent SIGTERM.
      const { code } = exit ?? (await env.service.waitForExit());
      expect(code).toBe(0);
      if (!sink.sawTrace(traceId)) {
        throw new Error(
          `no span of trace ${traceId} (the in-flight requests) was exported before exit ` +
            `(${sink.exports.length} OTLP exports received): the tracing pipeline is not shut down on SIGTERM`,
        );
      }
    });
  });
});
