import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildOpsApp } from '../../../src/adapters/http/opsApp';
import { FAKE_DEADLINE_MS, PROTECTED_ROUTES, testApp, token, type TestApp } from './fakes';

describe('health', () => {
  let t: TestApp;
  afterEach(() => t.app.close());

  it('/health/live answers 200 while the process runs', async () => {
    t = testApp({}, { postgres: async () => ({ ok: false, detail: 'down' }) });
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) });
  });

  it('/health/ready answers 200 with each dependency when all are up', async () => {
    t = testApp();
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      checks: {
        postgres: { ok: true, state: 'ok', durationMs: expect.any(Number) },
        rabbitmq: { ok: true, state: 'ok', durationMs: expect.any(Number) },
        temporal: { ok: true, state: 'ok', durationMs: expect.any(Number) },
      },
    });
  });

  it('/health/ready answers 503 naming the dependency that is down, failing or hanging', async () => {
    t = testApp(
      {
        config: {
          HTTP_BODY_LIMIT_BYTES: 65536,
          REQUEST_DEADLINE_MS: FAKE_DEADLINE_MS,
          HEALTH_CHECK_TIMEOUT_MS: 50,
        },
      },
      {
        postgres: async () => ({ ok: true, detail: 'select 1' }),
        rabbitmq: async () => {
          throw new Error('ECONNREFUSED 127.0.0.1:5672');
        },
        temporal: () => new Promise(() => undefined),
      },
    );
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      status: 'unavailable',
      checks: {
        postgres: { ok: true, state: 'ok', detail: 'select 1', durationMs: expect.any(Number) },
        rabbitmq: {
          ok: false,
          state: 'down',
          detail: 'ECONNREFUSED 127.0.0.1:5672',
          durationMs: expect.any(Number),
        },
        temporal: {
          ok: false,
          state: 'down',
          detail: 'no answer within 50 ms',
          durationMs: expect.any(Number),
        },
      },
    });
  });

  describe('with roles', () => {
    /** Checks whose answers a test flips. */
    const up: Record<string, boolean> = {};
    const checks = Object.fromEntries(
      ['postgres', 'rabbitmq', 'temporal', 'workerPollers', 'bridge'].map((name) => [
        name,
        async () => ({
          ok: up[name] !== false,
          ...(up[name] === false ? { detail: `${name} is down` } : {}),
        }),
      ]),
    );
    const ready = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      return { status: res.statusCode, body: res.json() };
    };
    beforeEach(() => {
      for (const name of Object.keys(up)) delete up[name];
    });

    it('api: a degrading dependency (RabbitMQ: the outbox holds the events) is 200 degraded, not 503', async () => {
      t = testApp({
        readiness: {
          roles: { api: { required: ['postgres'], degrading: ['rabbitmq', 'temporal', 'workerPollers'] } },
          decisive: 'api',
        },
        healthChecks: checks,
      });
      expect(await ready()).toMatchObject({
        status: 200,
        body: { status: 'ok', roles: { api: { state: 'ok' } } },
      });
      up.rabbitmq = false;
      expect(await ready()).toMatchObject({
        status: 200,
        body: {
          status: 'degraded',
          roles: { api: { state: 'degraded', detail: 'needs rabbitmq' } },
          checks: {
            rabbitmq: { ok: false, state: 'degraded', detail: 'rabbitmq is down' },
            postgres: { state: 'ok' },
          },
        },
      });
      up.postgres = false;
      expect(await ready()).toMatchObject({
        status: 503,
        body: {
          status: 'unavailable',
          roles: { api: { state: 'down' } },
          checks: { postgres: { state: 'down' } },
        },
      });
    });

    it('a process with the api role: another role down after startup is degraded; not started yet is 503', async () => {
      up.bridge = false;
      t = testApp({
        readiness: {
          roles: { api: { required: ['postgres'] }, bridge: { required: ['bridge'] } },
          decisive: 'api',
        },
        healthChecks: checks,
      });
      // The bridge has never consumed: the process is still starting.
      expect(await ready()).toMatchObject({
        status: 503,
        body: { status: 'unavailable', roles: { api: { state: 'ok' }, bridge: { state: 'starting' } } },
      });
      up.bridge = true;
      expect((await ready()).status).toBe(200);
      // Later it stops consuming: the api still serves, so the load balancer keeps the process.
      up.bridge = false;
      expect(await ready()).toMatchObject({
        status: 200,
        body: {
          status: 'degraded',
          roles: { api: { state: 'ok' }, bridge: { state: 'down', detail: 'needs bridge' } },
          checks: { bridge: { state: 'down' } },
        },
      });
    });

    it('without the api role any role down is 503', async () => {
      t = testApp({
        readiness: { roles: { bridge: { required: ['bridge'], degrading: ['temporal'] } } },
        healthChecks: checks,
      });
      expect((await ready()).status).toBe(200);
      up.temporal = false;
      expect(await ready()).toMatchObject({
        status: 200,
        body: { roles: { bridge: { state: 'degraded' } } },
      });
      up.bridge = false;
      expect(await ready()).toMatchObject({ status: 503, body: { roles: { bridge: { state: 'down' } } } });
    });
  });
});

describe('ops listener (processes without the api role)', () => {
  it('serves the same /health/live, /health/ready and /metrics, and nothing else', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    let consuming = false;
    const app = buildOpsApp({
      healthChecks: { bridge: async () => ({ ok: consuming }) },
      readiness: { roles: { bridge: { required: ['bridge'] } } },
      metrics: registry,
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const starting = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(starting.statusCode).toBe(503);
      expect(starting.json()).toMatchObject({
        status: 'unavailable',
        roles: { bridge: { state: 'starting' } },
      });
      consuming = true;
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).json()).toMatchObject({
        status: 'ok',
        roles: { bridge: { state: 'ok' } },
      });
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toContain('process_cpu_seconds_total');
      const other = await app.inject({ method: 'GET', url: '/inventory/SKU-1' });
      expect(other.statusCode).toBe(404);
      expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    } finally {
      await app.close();
    }
  });
});

describe('metrics', () => {
  it('exposes an HTTP latency histogram labelled by route template and status code', async () => {
    const t = testApp();
    const read = await token('inventory:read');
    await t.app.inject({
      method: 'GET',
      url: '/inventory/ABC',
      headers: { authorization: `Bearer ${read}` },
    });
    await t.app.inject({
      method: 'GET',
      url: '/inventory/XYZ',
      headers: { authorization: `Bearer ${read}` },
    });
    await t.app.inject({ method: 'GET', url: '/no/such/route' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.body).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/inventory\/:sku",status_code="404"\} 2$/m,
    );
    expect(res.body).toMatch(/route="unmatched",status_code="404"/);
    expect(res.body).not.toContain('ABC');
    await t.app.close();
  });

  it('includes the default process metrics when the registry has them, and survives a second app', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const first = testApp({ metrics: registry });
    const second = testApp({ metrics: registry });
    const res = await second.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('process_cpu_seconds_total');
    await Promise.all([first.app.close(), second.app.close()]);
  });

  it('has no /metrics route without a registry', async () => {
    const t = testApp({ metrics: undefined });
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    await t.app.close();
  });
});

describe('OpenAPI', () => {
  let t: TestApp;
  beforeAll(() => {
    t = testApp();
  });
  afterAll(() => t.app.close());

  it('serves an OpenAPI 3.1 document listing every path of the contract', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        ...PROTECTED_ROUTES.map((r) => `${r.method} ${r.path}`),
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
      ].sort(),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.components.schemas).sort()).toEqual([
      'Movement',
      'Problem',
      'Reservation',
      'StockLevel',
    ]);
  });

  it('documents each protected operation with its scope, request schema and problem responses', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const route of PROTECTED_ROUTES) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      expect(op.security).toEqual([{ bearerAuth: [route.scope] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
      expect(op.responses['401'].content['application/problem+json'].schema).toEqual({
        $ref: '#/components/schemas/Problem',
      });
      if (route.payload) {
        expect(op.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
      }
    }
    expect(doc.paths['/inventory/{sku}/reserve'].post.responses).toHaveProperty('409');
    expect(doc.paths['/inventory/{sku}/reserve'].post.responses).toHaveProperty('410');
    expect(doc.paths['/health/ready'].get.security).toEqual([]);
  });

  it('serves the browsable docs page and its assets from the package', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const css = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' });
    expect(css.statusCode).toBe(200);
    const json = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.json().openapi).toBe('3.1.0');
  });
});
