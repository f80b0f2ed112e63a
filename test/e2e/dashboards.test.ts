import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CollectedMessage, EventCollector } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import type { OrderEventsPublisher } from '../support/orderEvents';
import { dashboardQueries } from '../support/grafana';
import { PrometheusProcess } from '../support/prometheus';
import { freePort } from '../support/serviceProcess';
import { expectStatus } from './assertions';
import { startSagaE2E, type SagaEnvironment } from './harness';

jest.setTimeout(180_000);

const OBSERVABILITY = join(__dirname, '..', '..', 'observability');
/**
 * The Grafana dashboards against a real Prometheus (the repository's scrape config) scraping the
 * service and its Temporal worker right after a saga: reserves, a confirm and a cancel bridged from
 * order.events, the relay's publishes, a read. Every panel query must return a number, so a renamed
 * or dropped metric fails here and not on an operator's screen.
 */
describe('Grafana dashboards (e2e, real Prometheus)', () => {
  let env: SagaEnvironment;
  let events: EventCollector;
  let orderService: OrderEventsPublisher;
  let prometheus: PrometheusProcess;
  let sagaStarted: number;

  beforeAll(async () => {
    const workerMetricsPort = await freePort();
    env = await startSagaE2E('inv_e2e_dash', {
      env: { TEMPORAL_WORKER_METRICS_PORT: String(workerMetricsPort) },
    });
    ({ events, orderService } = env);

    const config = parse(readFileSync(join(OBSERVABILITY, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      global: Record<string, unknown>;
      rule_files?: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets: Record<string, string> = {
      'inventory-service': `127.0.0.1:${env.service.port}`,
      'temporal-worker': `127.0.0.1:${workerMetricsPort}`,
    };
    for (const job of config.scrape_configs) job.static_configs = [{ targets: [targets[job.job_name]!] }];
    config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
    delete config.rule_files;
    prometheus = await PrometheusProcess.start(config);
    // Scraped before the saga too, so rates have a baseline.
    await eventually(
      async () => {
        const list = await prometheus.activeTargets();
        return list.length === config.scrape_configs.length && list.every((t) => t.health === 'up');
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'every scrape target up' },
    );
  });

  afterAll(async () => {
    await prometheus?.stop();
    await env?.teardown();
  });

  const ofOrder = (type: string, orderId: string) => (m: CollectedMessage) =>
    m.routingKey === type && (m.body?.data as { orderId?: string } | undefined)?.orderId === orderId;

  it('finds the panel queries of every dashboard', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(5);
    expect(queries.every((q) => !/\$\w/.test(q.expr))).toBe(true);
  });

  /** Reserve, a multi-line reserve, a read, a confirm and a cancel bridged from order.events, the relay's publishes. */
  async function saga(): Promise<void> {
    const { api } = env;
    // Below safety stock while the kept order holds 5 of 10 (available 5 < 8).
    const low = uniqueSku('DASH');
    expectStatus(
      await api.put(`/inventory/${low}`, { onHand: 10, safetyStock: 8, reorderQuantity: 20 }),
      201,
    );
    const plenty = uniqueSku('DASH');
    expectStatus(await api.put(`/inventory/${plenty}`, { onHand: 100 }), 201);
    expectStatus(
      await api.post(`/inventory/${low}/reserve`, { orderId: uniqueOrderId('d-kept'), quantity: 5 }),
      201,
    );
    const confirmed = uniqueOrderId('d-confirm');
    const cancelled = uniqueOrderId('d-cancel');
    expectStatus(await api.post(`/inventory/${plenty}/reserve`, { orderId: confirmed, quantity: 2 }), 201);
    expectStatus(
      await api.post(`/reservations`, { orderId: cancelled, lines: [{ sku: plenty, quantity: 3 }] }),
      201,
    );
    expectStatus(await api.get(`/inventory/${plenty}`), 200);
    await events.waitFor(ofOrder('StockReserved', cancelled), 15_000);
    await orderService.publish('OrderConfirmed', { orderId: confirmed });
    await orderService.publish('OrderCancelled', { orderId: cancelled, reason: 'payment declined' });
    await events.waitFor(ofOrder('StockCommitted', confirmed), 15_000);
    await events.waitFor(ofOrder('StockReleased', cancelled), 15_000);
  }

  /** Until both targets have been scraped after `afterMs`. */
  async function scrapedAfter(afterMs: number): Promise<void> {
    await eventually(
      async () => {
        const samples = await prometheus.query('timestamp(up)');
        return samples.length > 0 && samples.every((s) => Number(s.value[1]) * 1000 > afterMs);
      },
      { timeoutMs: 15_000, intervalMs: 250, what: `a scrape of every target after ${afterMs}` },
    );
  }

  it('every panel query returns data after a saga', async () => {
    sagaStarted = Math.floor(Date.now() / 1000);
    // Twice, with a scrape between: rate() sees a series' increase only after its first sample, and
    // prom-client creates a labelled series at its first observation.
    await saga();
    await scrapedAfter(Date.now());
    await saga();

    const queries = dashboardQueries();
    const empty = new Map<string, string>();
    await eventually(
      async () => {
        empty.clear();
        const now = Math.ceil(Date.now() / 1000);
        for (const q of queries) {
          const result = await prometheus.queryRange(q.expr, sagaStarted - 5, now, 1);
          const finite = result.some((series) => series.values.some(([, v]) => Number.isFinite(Number(v))));
          if (!finite) {
            empty.set(
              `${q.dashboard} / ${q.panel} [${q.refId}]: ${q.expr}`,
              result.length === 0 ? 'no series' : 'only NaN',
            );
          }
        }
        return empty.size === 0;
      },
      { timeoutMs: 45_000, intervalMs: 1_000, what: 'every panel query returning data' },
    ).catch(async () => {
      throw new Error(
        `panel queries without data after the saga:\n${[...empty].map(([q, why]) => `  ${q} (${why})`).join('\n')}`,
      );
    });
  });
});
