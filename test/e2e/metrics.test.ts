import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CollectedMessage, EventCollector } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import type { OrderEventsPublisher } from '../support/orderEvents';
import { PrometheusProcess } from '../support/prometheus';
import { scrape, type Scrape } from '../support/promText';
import { freePort } from '../support/serviceProcess';
import { expectStatus } from './assertions';
import { startSagaE2E, type SagaEnvironment } from './harness';

jest.setTimeout(120_000);

const PROMETHEUS_DIR = join(__dirname, '..', '..', 'observability', 'prometheus');

/**
 * The service's Prometheus series after real traffic (issue 8 item 2), and a real Prometheus scraping
 * the running service and its Temporal worker's runtime metrics with the repository's scrape config
 * (item 5): every target up.
 */
describe('metrics (e2e)', () => {
  let env: SagaEnvironment;
  let workerMetricsPort: number;
  let events: EventCollector;
  let orderService: OrderEventsPublisher;
  let prometheus: PrometheusProcess | undefined;

  beforeAll(async () => {
    workerMetricsPort = await freePort();
    env = await startSagaE2E('inv_e2e_metrics', {
      env: { TEMPORAL_WORKER_METRICS_PORT: String(workerMetricsPort) },
    });
    ({ events, orderService } = env);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await env?.teardown();
  });

  const ofOrder = (type: string, orderId: string) => (m: CollectedMessage) =>
    m.routingKey === type && (m.body?.data as { orderId?: string } | undefined)?.orderId === orderId;

  /** Scrapes until `check` holds (state gauges and counters settle asynchronously), then returns it. */
  async function metricsWhere(check: (s: Scrape) => boolean, what: string): Promise<Scrape> {
    let last: Scrape | undefined;
    try {
      return await eventually(
        async () => {
          last = await scrape(`${env.service.url}/metrics`);
          return check(last) && last;
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
    } catch {
      throw new Error(`/metrics never showed ${what}; series present: ${last?.names().join(', ')}`);
    }
  }

  it('holds the named series after reserves, releases (cancelled, released, expired) and bridged events', async () => {
    const { api } = env;
    // Below safety stock once 5 of 10 are reserved for an order that stays open (available 5 < 8).
    const sku = uniqueSku('METRICS');
    expectStatus(
      await api.put(`/inventory/${sku}`, { onHand: 10, safetyStock: 8, reorderQuantity: 20 }),
      201,
    );
    const plenty = uniqueSku('METRICS');
    expectStatus(await api.put(`/inventory/${plenty}`, { onHand: 100 }), 201);

    const kept = uniqueOrderId('m-kept');
    expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId: kept, quantity: 5 }), 201);
    expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId: kept, quantity: 5 }), 200);
    const short = await api.post(`/inventory/${sku}/reserve`, {
      orderId: uniqueOrderId('m-short'),
      quantity: 50,
    });
    expectStatus(short, 409);
    expectStatus(await api.get(`/inventory/${sku}`), 200);

    const cancelled = uniqueOrderId('m-cancel');
    expectStatus(await api.post(`/inventory/${plenty}/reserve`, { orderId: cancelled, quantity: 2 }), 201);
    const released = uniqueOrderId('m-release');
    expectStatus(await api.post(`/inventory/${plenty}/reserve`, { orderId: released, quantity: 1 }), 201);
    expectStatus(await api.post(`/inventory/${plenty}/release`, { orderId: released }), 200);
    const expiring = uniqueOrderId('m-expire');
    expectStatus(
      await api.post(`/inventory/${plenty}/reserve`, { orderId: expiring, quantity: 1, ttlSeconds: 1 }),
      201,
    );

    await events.waitForCount((x) => x.routingKey === 'StockReserved', 4, 10_000);
    await orderService.publish('OrderCancelled', { orderId: cancelled, reason: 'payment declined' });
    await orderService.publish('OrderConfirmed', { orderId: uniqueOrderId('m-nobody') });
    await events.waitFor(ofOrder('StockReleased', released), 10_000);
    await events.waitFor(ofOrder('StockReleased', cancelled), 10_000);
    await events.waitFor(ofOrder('StockReleased', expiring), 15_000);

    const m = await metricsWhere(
      (s) =>
        (s.value('inventory_releases_total', { reason: 'expired' }) ?? 0) >= 1 &&
        (s.value('inventory_bridge_messages_total', { type: 'OrderConfirmed' }) ?? 0) >= 1 &&
        // The relay counts an event once its row is marked published, just after the broker confirmed it.
        (s.value('inventory_events_published_total', { event_type: 'StockReleased' }) ?? 0) >= 3 &&
        (s.value('inventory_events_published_total', { event_type: 'StockReserved' }) ?? 0) >= 4,
      'the expiry release, the bridged OrderConfirmed and every event published',
    );

    // HTTP latency histogram by route template and status.
    const reserveRoute = { route: '/inventory/:sku/reserve', method: 'POST' };
    expect(m.value('http_request_duration_seconds_count', { ...reserveRoute, status_code: '201' })).toBe(4);
    expect(
      m.value('http_request_duration_seconds_count', { ...reserveRoute, status_code: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      m.value('http_request_duration_seconds_count', { ...reserveRoute, status_code: '409' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      m.find('http_request_duration_seconds_bucket', { ...reserveRoute, status_code: '201', le: '0.05' }),
    ).toHaveLength(1);
    expect(
      m.value('http_request_duration_seconds_count', {
        route: '/inventory/:sku',
        method: 'GET',
        status_code: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(m.find('http_request_duration_seconds_count').every((s) => !s.labels.route?.includes(sku))).toBe(
      true,
    );

    // Reservations by outcome, with the reserve round trip.
    expect(m.value('inventory_reservations_total', { outcome: 'reserved' })).toBe(4);
    expect(m.value('inventory_reservations_total', { outcome: 'repeat' })).toBe(1);
    expect(m.value('inventory_reservations_total', { outcome: 'insufficient-stock' })).toBe(1);
    expect(m.value('inventory_reserve_duration_seconds_count', { outcome: 'reserved' })).toBe(4);

    // Releases by reason: the bridge's compensation, the HTTP release, the TTL.
    expect(m.value('inventory_releases_total', { reason: 'cancelled' })).toBe(1);
    expect(m.value('inventory_releases_total', { reason: 'released' })).toBe(1);
    expect(m.value('inventory_releases_total', { reason: 'expired' })).toBe(1);

    // Event publication: latency from commit to broker confirm, and the outbox lag gauges.
    expect(m.value('inventory_event_publish_latency_seconds_count', { event_type: 'StockReserved' })).toBe(4);
    expect(m.value('inventory_event_publish_latency_seconds_count', { event_type: 'StockReleased' })).toBe(3);
    expect(m.value('inventory_events_published_total', { event_type: 'StockReserved' })).toBe(4);
    expect(m.value('inventory_outbox_pending_events')).toBeGreaterThanOrEqual(0);
    expect(m.value('inventory_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);

    // The bridge by type and outcome.
    expect(m.value('inventory_bridge_messages_total', { type: 'OrderCancelled', outcome: 'signalled' })).toBe(
      1,
    );
    expect(
      m.value('inventory_bridge_messages_total', { type: 'OrderConfirmed', outcome: 'no-workflow' }),
    ).toBe(1);
    expect(m.value('inventory_dead_letter_queue_messages')).toBe(0);

    // Stock below safety: the first SKU (5 available, safety 8).
    expect(m.value('inventory_skus_below_safety_stock')).toBe(1);
    expect(m.value('inventory_reservations_past_expiry')).toBe(0);

    // prom-client's process defaults.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(m.has(name)).toBe(true);
    }
  });

  it("exposes the Temporal worker runtime's own metrics on TEMPORAL_WORKER_METRICS_PORT", async () => {
    const sku = uniqueSku('METRICS');
    expectStatus(await env.api.put(`/inventory/${sku}`, { onHand: 5 }), 201);
    expectStatus(
      await env.api.post(`/inventory/${sku}/reserve`, { orderId: uniqueOrderId('m-wf'), quantity: 1 }),
      201,
    );
    const worker = await eventually(
      async () => {
        const s = await scrape(`http://127.0.0.1:${workerMetricsPort}/metrics`);
        return s.has('temporal_workflow_task_execution_latency_count') && s;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'worker metrics with workflow task latencies' },
    );
    const taskQueue = { task_queue: env.service.taskQueue };
    expect(worker.value('temporal_workflow_task_execution_latency_count', taskQueue)).toBeGreaterThanOrEqual(
      1,
    );
    expect(worker.value('temporal_local_activity_execution_latency_count', taskQueue)).toBeGreaterThanOrEqual(
      1,
    );
    expect(worker.find('temporal_worker_task_slots_available', taskQueue).length).toBeGreaterThan(0);
  });

  it('a real Prometheus, with the repository scrape config, scrapes the service and the worker: targets up', async () => {
    // observability/prometheus/prometheus.yml, its targets pointed at this test's processes.
    const config = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      global: Record<string, unknown>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets: Record<string, string> = {
      'inventory-service': `127.0.0.1:${env.service.port}`,
      'temporal-worker': `127.0.0.1:${workerMetricsPort}`,
    };
    expect(config.scrape_configs.map((j) => j.job_name).sort()).toEqual(Object.keys(targets).sort());
    for (const job of config.scrape_configs) job.static_configs = [{ targets: [targets[job.job_name]!] }];
    config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = config.rule_files.map((f) => join(PROMETHEUS_DIR, f));

    prometheus = await PrometheusProcess.start(config);
    const active = await eventually(
      async () => {
        const list = await prometheus!.activeTargets();
        return list.length === 2 && list.every((t) => t.health === 'up') && list;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'both scrape targets up' },
    ).catch(async (error: Error) => {
      throw new Error(
        `${error.message}: ${JSON.stringify(await prometheus!.activeTargets())}\n${prometheus!.log}`,
      );
    });
    expect(active.map((t) => t.labels.job).sort()).toEqual(['inventory-service', 'temporal-worker']);

    const up = await prometheus.query('up');
    expect(up.map((r) => [r.metric.job, r.value[1]]).sort()).toEqual([
      ['inventory-service', '1'],
      ['temporal-worker', '1'],
    ]);
    // Scraped data, not only reachability: a series of each target; and the alert rules evaluate on it.
    for (const [job, series] of [
      ['inventory-service', 'inventory_skus_below_safety_stock'],
      ['temporal-worker', 'temporal_worker_task_slots_available'],
    ]) {
      await eventually(async () => (await prometheus!.query(`${series}{job="${job}"}`)).length > 0, {
        timeoutMs: 10_000,
        intervalMs: 250,
        what: `${series} scraped from ${job}`,
      });
    }
    const rules = await eventually(
      async () => {
        const groups = await prometheus!.ruleGroups();
        const all = groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health === 'ok') && all;
      },
      { timeoutMs: 10_000, intervalMs: 250, what: 'alert rules evaluated without errors' },
    );
    expect(rules.length).toBe(7);

    await prometheus.stop();
    prometheus = undefined;
  });
});
