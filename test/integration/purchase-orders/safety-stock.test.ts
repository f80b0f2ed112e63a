import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { type PrismaClient } from '../../../src/adapters/postgres/PrismaClientFactory';
import { PgUnitOfWork } from '../../../src/adapters/postgres/PgUnitOfWork';
import { PrismaPurchaseOrderRequestRepository } from '../../../src/adapters/postgres/PrismaPurchaseOrderRequestRepository';
import { ConcurrencyError } from '../../../src/domain/errors';
import { PurchaseOrderRequest } from '../../../src/domain/PurchaseOrderRequest';
import { Sku } from '../../../src/domain/Sku';
import type { InventoryService } from '../../../src/application/InventoryService';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector, type CollectedMessage } from '../../support/eventCollector';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { startRelay, type RelayUnderTest } from '../messaging/harness';
import { connectPostgres, postgresInventory, type TestPostgres } from '../persistence/helpers';

jest.setTimeout(60_000);

interface RequestRow {
  id: string;
  status: string;
  quantity: number;
  available_at_request: number;
  reminders_sent: number;
}

/**
 * DESIGN.md step 6 against Postgres and RabbitMQ: requests are opened and closed in the transaction of
 * the stock change, the outbox relay publishes PurchaseOrderRequested on inventory.events.
 */
describe('purchase-order requests over Postgres', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  /** Two pools, as two service processes would have. */
  let prismaA: PrismaClient;
  let pgA: TestPostgres;
  let pgB: TestPostgres;
  let serviceA: InventoryService;
  let serviceB: InventoryService;
  let pg: Client;
  let relay: RelayUnderTest;
  let events: EventCollector;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('inv_po'), createTestVhost('inv_po')]);
    pgA = connectPostgres(db.url, 15);
    prismaA = pgA.prisma;
    pgB = connectPostgres(db.url, 15);
    serviceA = postgresInventory(pgA);
    serviceB = postgresInventory(pgB);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    relay = startRelay({ databaseUrl: db.url, amqpUrl: vhost.url });
    await relay.relay.waitUntil('active');
    events = await EventCollector.start(vhost.url, { bindingKeys: ['PurchaseOrderRequested'] });
  });

  afterAll(async () => {
    await events?.close();
    await relay?.stop();
    await pg?.end();
    await pgA?.close();
    await pgB?.close();
    await db?.drop();
    await vhost?.drop();
  });

  const requestsOf = async (sku: string) =>
    (
      await pg.query<RequestRow>(
        `SELECT id, status, quantity, available_at_request, reminders_sent
           FROM purchase_order_requests WHERE sku = $1 ORDER BY requested_at, id`,
        [sku],
      )
    ).rows;
  const outboxCount = async (sku: string) =>
    Number(
      (
        await pg.query<{ n: string }>(
          `SELECT count(*) AS n FROM outbox_events WHERE event_type = 'PurchaseOrderRequested' AND partition_key = $1`,
          [sku],
        )
      ).rows[0]!.n,
    );
  const publishedFor = (sku: string) => (m: CollectedMessage) =>
    (m.body?.data as { sku?: string } | undefined)?.sku === sku;

  async function reserveConcurrently(sku: string, count: number): Promise<void> {
    const outcomes = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        (i % 2 === 0 ? serviceA : serviceB).reserve({
          orderId: uniqueOrderId('po'),
          lines: [{ sku, quantity: 1 }],
        }),
      ),
    );
    expect(outcomes.filter((o) => o.kind === 'reserved')).toHaveLength(count);
  }

  it('50 concurrent reservations crossing the threshold raise exactly one request and one event; replenish closes it; the next crossing opens a new one', async () => {
    const sku = uniqueSku('PO');
    await serviceA.setLevels({ sku, onHand: 60, safetyStock: 30, reorderQuantity: 40 });

    await reserveConcurrently(sku, 50);

    const [first, ...others] = await requestsOf(sku);
    expect(others).toEqual([]);
    // Whichever reservation crossed first raised it: available was then 29.
    expect(first).toMatchObject({
      status: 'OPEN',
      available_at_request: 29,
      quantity: 41,
      reminders_sent: 0,
    });
    expect(await outboxCount(sku)).toBe(1);

    const [message] = await events.waitForCount(publishedFor(sku), 1);
    expect(message!.routingKey).toBe('PurchaseOrderRequested');
    expect(message!.properties).toMatchObject({
      type: 'PurchaseOrderRequested',
      contentType: 'application/json',
    });
    expect(message!.body).toEqual({
      eventId: message!.properties.messageId,
      type: 'PurchaseOrderRequested',
      occurredAt: expect.any(String),
      data: { sku, available: 29, safetyStock: 30, quantity: 41, requestId: first!.id, reorderQuantity: 40 },
    });
    const level = await serviceA.getStockLevel(sku);
    expect(level).toMatchObject({
      available: 10,
      openPurchaseOrder: { id: first!.id, quantity: 41, available: 29, safetyStock: 30 },
    });

    // Goods arrive: 10 + 15 is still below 30, the request stays open; 10 + 25 is enough.
    expect(await serviceB.replenish({ sku, quantity: 15 })).toMatchObject({
      level: { available: 25, openPurchaseOrder: { id: first!.id } },
    });
    expect(await serviceB.replenish({ sku, quantity: 10, reference: 'GR-1' })).toMatchObject({
      level: { available: 35, openPurchaseOrder: null },
    });
    expect(await requestsOf(sku)).toEqual([expect.objectContaining({ id: first!.id, status: 'CLOSED' })]);

    // The next crossing (35 → 29) opens a new request, again exactly once.
    await reserveConcurrently(sku, 6);
    const after = await requestsOf(sku);
    expect(after.map((r) => r.status)).toEqual(['CLOSED', 'OPEN']);
    expect(after[1]).toMatchObject({ available_at_request: 29, quantity: 41 });
    expect(await outboxCount(sku)).toBe(2);
    const published = await events.waitForCount(publishedFor(sku), 2);
    expect(new Set(published.map((m) => (m.body!.data as { requestId: string }).requestId))).toEqual(
      new Set([first!.id, after[1]!.id]),
    );
  });

  it('concurrent reservations of many SKUs with overlapping lines open one request per SKU', async () => {
    const skus = [uniqueSku('PM'), uniqueSku('PM'), uniqueSku('PM')];
    for (const sku of skus) await serviceA.setLevels({ sku, onHand: 40, safetyStock: 20 });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? serviceA : serviceB).reserve({
          orderId: uniqueOrderId('pm'),
          lines: (i % 3 === 0 ? [...skus].reverse() : skus).map((sku) => ({ sku, quantity: 1 })),
        }),
      ),
    );
    for (const sku of skus) {
      expect((await requestsOf(sku)).map((r) => r.status)).toEqual(['OPEN']);
      expect(await outboxCount(sku)).toBe(1);
    }
  });

  it('setting levels opens a request when the count falls below safety stock and closes it when it rises', async () => {
    const sku = uniqueSku('PS');
    const created = await serviceA.setLevels({ sku, onHand: 20, safetyStock: 10, reorderQuantity: 5 });
    expect(created).toMatchObject({ kind: 'created', level: { openPurchaseOrder: null } });

    const lowered = await serviceA.setLevels({ sku, onHand: 4 });
    expect(lowered).toMatchObject({
      kind: 'updated',
      level: { openPurchaseOrder: { quantity: 11, available: 4 } },
    });
    // Concurrent counts around the threshold never leave two requests open.
    await Promise.all([
      serviceA.setLevels({ sku, onHand: 3 }),
      serviceB.setLevels({ sku, onHand: 2 }),
      serviceA.setLevels({ sku, onHand: 5 }),
    ]);
    expect((await requestsOf(sku)).filter((r) => r.status === 'OPEN')).toHaveLength(1);

    const raised = await serviceB.setLevels({ sku, onHand: 12 });
    expect(raised).toMatchObject({ level: { openPurchaseOrder: null } });
    expect((await requestsOf(sku)).map((r) => r.status)).toEqual(['CLOSED']);
    expect(await outboxCount(sku)).toBe(1);
  });

  it('the database itself refuses a second open request of a SKU', async () => {
    const sku = uniqueSku('PD');
    await serviceA.setLevels({ sku, onHand: 0, safetyStock: 1 });
    const insert = () =>
      pg.query(
        `INSERT INTO purchase_order_requests
           (id, sku, status, quantity, available_at_request, safety_stock, reorder_quantity, requested_at)
         VALUES (gen_random_uuid(), $1, 'OPEN', 1, 0, 1, 0, now())`,
        [sku],
      );
    await expect(insert()).rejects.toMatchObject({ code: '23505' });
    await pg.query(`UPDATE purchase_order_requests SET status = 'CLOSED', closed_at = now() WHERE sku = $1`, [
      sku,
    ]);
    await expect(insert()).resolves.toBeDefined();
  });

  it('the adapter turns a second open request, or a change of a closed one, into a ConcurrencyError (the unit of work retries)', async () => {
    const sku = uniqueSku('PX');
    await serviceA.setLevels({ sku, onHand: 0, safetyStock: 2 });
    const once = new PgUnitOfWork({ pool: pgA.pool, options: { maxAttempts: 1 } });
    const repository = {
      findOpenBySkus: (skus: Sku[]) => new PrismaPurchaseOrderRequestRepository(prismaA).findOpenBySkus(skus),
      findById: (id: string) => once.run((tx) => tx.purchaseOrders.findById(id)),
      save: (requests: PurchaseOrderRequest[]) => once.run((tx) => tx.purchaseOrders.save(requests)),
    };
    const levels = { available: 0, safetyStock: 2, reorderQuantity: 0 };
    const duplicate = PurchaseOrderRequest.open({
      id: randomUUID(),
      sku: Sku.of(sku),
      levels,
      now: new Date(),
    });
    await expect(repository.save([duplicate])).rejects.toBeInstanceOf(ConcurrencyError);

    const [open] = [...(await repository.findOpenBySkus([Sku.of(sku)])).values()];
    const stale = (await repository.findById(open!.id))!;
    open!.close(new Date());
    await repository.save([open!]);
    stale.remind(levels, new Date());
    await expect(repository.save([stale])).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await repository.findById(open!.id))!).toMatchObject({ status: 'CLOSED', remindersSent: 0 });
  });

  it('a reminder re-announces an open request once per number, and none after it closed', async () => {
    const sku = uniqueSku('PR');
    await serviceA.setLevels({ sku, onHand: 1, safetyStock: 5, reorderQuantity: 2 });
    const [request] = await requestsOf(sku);

    const results = await Promise.all([
      serviceA.remindPurchaseOrder({ sku, requestId: request!.id, reminder: 1 }),
      serviceB.remindPurchaseOrder({ sku, requestId: request!.id, reminder: 1 }),
    ]);
    expect(results).toEqual([
      { kind: 'reminded', reminder: 1, available: 1 },
      { kind: 'reminded', reminder: 1, available: 1 },
    ]);
    expect((await requestsOf(sku))[0]).toMatchObject({ reminders_sent: 1 });
    expect(await outboxCount(sku)).toBe(2);
    const reminder = await events.waitFor(
      (m) => publishedFor(sku)(m) && (m.body!.data as { reminder?: number }).reminder === 1,
    );
    expect(reminder.body!.data).toEqual({
      sku,
      available: 1,
      safetyStock: 5,
      quantity: 6,
      requestId: request!.id,
      reorderQuantity: 2,
      reminder: 1,
    });

    // A replenishment racing a reminder: the reminder either lands before the close or sees it closed.
    const [, raced] = await Promise.all([
      serviceB.replenish({ sku, quantity: 10 }),
      serviceA.remindPurchaseOrder({ sku, requestId: request!.id, reminder: 2 }),
    ]);
    const final = (await requestsOf(sku))[0]!;
    expect(final.status).toBe('CLOSED');
    expect(final.reminders_sent).toBe(raced.kind === 'reminded' ? 2 : 1);
    expect(await serviceA.remindPurchaseOrder({ sku, requestId: request!.id, reminder: 3 })).toEqual({
      kind: 'closed',
    });
  });

  it('lists requests newest first with a cursor, over Postgres', async () => {
    const skus = [uniqueSku('PL'), uniqueSku('PL'), uniqueSku('PL')];
    for (const sku of skus) await serviceA.setLevels({ sku, onHand: 0, safetyStock: 1 });
    await serviceA.replenish({ sku: skus[1]!, quantity: 5 });

    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await serviceA.listPurchaseOrders({ status: 'all', limit: 2, cursor });
      all.push(...page.items.map((i) => i.sku));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const ours = all.filter((s) => skus.includes(s));
    expect(ours).toEqual([...skus].reverse());

    const open = await serviceA.listPurchaseOrders({ limit: 200 });
    expect(open.items.filter((i) => skus.includes(i.sku)).map((i) => i.sku)).toEqual([skus[2], skus[0]]);
    const closed = await serviceA.listPurchaseOrders({ status: 'closed', limit: 200 });
    expect(closed.items.find((i) => i.sku === skus[1])).toMatchObject({
      status: 'CLOSED',
      closedAt: expect.any(String),
    });
  });
});
