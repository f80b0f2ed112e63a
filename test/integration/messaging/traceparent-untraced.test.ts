import { propagation, trace } from '@opentelemetry/api';
import type { Client } from 'pg';
import { createPersistenceContainer } from '../../../src/container/persistence';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { connectPg, insertOutboxRows, startRelay, testConfig, type RelayUnderTest } from './harness';

jest.setTimeout(30_000);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/**
 * CONTRACT.md: a W3C traceparent on every event. This file registers no tracer provider and no
 * propagator, as the service runs without OTEL_EXPORTER_OTLP_ENDPOINT.
 */
describe('traceparent with tracing off', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pg: Client;
  let collector: EventCollector;
  let relay: RelayUnderTest;

  beforeAll(async () => {
    db = await createTestDatabase('inv_tp_off');
    vhost = await createTestVhost('inv_tp_off');
    pg = await connectPg(db.url);
    collector = await EventCollector.start(vhost.url);
    relay = startRelay({ databaseUrl: db.url, amqpUrl: vhost.url });
  });

  afterAll(async () => {
    await relay?.stop();
    await collector?.close();
    await pg?.end();
    await vhost?.drop();
    await db?.drop();
  });

  it('runs untraced: no propagator, no span', () => {
    expect(propagation.fields()).toEqual([]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('events the service records carry a valid traceparent, one trace id for the events recorded together', async () => {
    const container = createPersistenceContainer(testConfig({ DATABASE_URL: db.url }));
    try {
      const service = container.createScope().cradle.inventoryService;
      const [a, b] = [uniqueSku('TPA'), uniqueSku('TPB')];
      await service.setLevels({ sku: a, onHand: 5 });
      await service.setLevels({ sku: b, onHand: 5 });
      const orderId = uniqueOrderId('tp');
      const outcome = await service.reserve({
        orderId,
        lines: [
          { sku: a, quantity: 1 },
          { sku: b, quantity: 2 },
        ],
      });
      expect(outcome.kind).toBe('reserved');
      await service.replenish({ sku: a, quantity: 3 });

      const reserved = await collector.waitForCount(
        (m) =>
          m.routingKey === 'StockReserved' &&
          (m.body as { data: { orderId: string } }).data.orderId === orderId,
        2,
      );
      const replenished = await collector.waitFor(
        (m) => m.routingKey === 'StockReplenished' && (m.body as { data: { sku: string } }).data.sku === a,
      );
      const parsed = [...reserved, replenished].map((m) => TRACEPARENT.exec(String(m.headers.traceparent)));
      for (const p of parsed) {
        expect(p).not.toBeNull();
        expect(p![1]).not.toMatch(/^0+$/);
        expect(p![2]).not.toMatch(/^0+$/);
        // Not sampled: nobody recorded a span a consumer could attach to.
        expect(p![3]).toBe('00');
      }
      // Both lines of the reserve were recorded together: one trace; the replenish another.
      expect(parsed[0]![1]).toBe(parsed[1]![1]);
      expect(parsed[2]![1]).not.toBe(parsed[0]![1]);
    } finally {
      await container.dispose();
    }
  });

  it('the relay gives one to a row recorded without any (an older row, another writer)', async () => {
    const sku = uniqueSku('TPC');
    const [bare, garbage] = await insertOutboxRows(pg, [
      { type: 'StockReplenished', sku, data: { sku } },
      { type: 'StockReplenished', sku, data: { sku }, headers: { traceparent: 'not-a-traceparent' } },
    ]);
    const messages = await collector.waitForIds([bare!, garbage!]);
    for (const m of messages) expect(String(m.headers.traceparent)).toMatch(TRACEPARENT);
    expect(messages[0]!.headers.traceparent).not.toBe(messages[1]!.headers.traceparent);
  });
});
