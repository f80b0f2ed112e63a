import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Client } from 'pg';
import { type PrismaClient } from '../../../src/adapters/postgres/PrismaClientFactory';
import type { InventoryService } from '../../../src/application/InventoryService';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { connectPostgres, postgresInventory, type TestPostgres } from './helpers';

jest.setTimeout(30_000);

describe('InventoryService over Postgres', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pg: TestPostgres;
  let service: InventoryService;

  beforeAll(async () => {
    db = await createTestDatabase('inv_service');
    pg = connectPostgres(db.url, 10);
    prisma = pg.prisma;
    service = postgresInventory(pg);
  });

  afterAll(async () => {
    await pg?.close();
    await db?.drop();
  });

  async function sku(onHand: number): Promise<string> {
    const value = uniqueSku('SV');
    await service.setLevels({ sku: value, onHand });
    return value;
  }

  const outboxFor = (orderId: string) =>
    prisma.outboxEvent.findMany({
      where: { payload: { path: ['data', 'orderId'], equals: orderId } },
      orderBy: { id: 'asc' },
    });

  it('reserve writes the reservation, the movements and one outbox row per line in one transaction', async () => {
    const [a, b] = [await sku(5), await sku(5)];
    const orderId = uniqueOrderId();
    const outcome = await service.reserve({
      orderId,
      lines: [
        { sku: b, quantity: 2 },
        { sku: a, quantity: 1 },
      ],
      ttlSeconds: 30,
    });
    expect(outcome).toMatchObject({
      kind: 'reserved',
      created: true,
      reservation: { orderId, status: 'RESERVED' },
    });
    if (outcome.kind !== 'reserved') throw new Error('unreachable');
    expect(Date.parse(outcome.reservation.expiresAt) - Date.parse(outcome.reservation.createdAt)).toBe(
      30_000,
    );
    expect(await service.getReservation(orderId)).toEqual(outcome.reservation);

    const rows = await outboxFor(orderId);
    expect(rows.map((r) => [r.eventType, r.partitionKey])).toEqual([
      ['StockReserved', b],
      ['StockReserved', a],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ publishedAt: null, attempts: 0, lastError: null, headers: {} });
      expect(row.payload).toEqual({
        eventId: row.eventId,
        type: 'StockReserved',
        occurredAt: row.occurredAt.toISOString(),
        data: expect.objectContaining({
          orderId,
          sku: row.partitionKey,
          expiresAt: outcome.reservation.expiresAt,
        }),
      });
    }
    expect(await prisma.stockMovement.count({ where: { orderId, type: 'RESERVE' } })).toBe(2);
  });

  it('writes nothing at all when any write of the transaction fails', async () => {
    const a = await sku(5);
    const taken = (await prisma.outboxEvent.findFirstOrThrow()).eventId;
    // An id generator that repeats an existing eventId: the outbox insert, the last write, fails.
    const failing = postgresInventory(pg, { ids: { uuid: () => taken } });
    const orderId = uniqueOrderId();
    await expect(failing.reserve({ orderId, lines: [{ sku: a, quantity: 2 }] })).rejects.toThrow();
    expect(await service.getStockLevel(a)).toMatchObject({ reserved: 0 });
    expect(await service.getReservation(orderId)).toBeNull();
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(0);
    expect(await outboxFor(orderId)).toEqual([]);
  });

  it('answers repeats idempotently, even when they arrive concurrently', async () => {
    const a = await sku(10);
    const orderId = uniqueOrderId();
    const cmd = { orderId, lines: [{ sku: a, quantity: 3 }] };
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => service.reserve(cmd)));
    expect(outcomes.filter((o) => o.kind === 'reserved' && o.created)).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'reserved' && !o.created)).toHaveLength(7);
    expect(await service.getStockLevel(a)).toMatchObject({ reserved: 3 });
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(1);

    expect(await service.reserve({ ...cmd, lines: [{ sku: a, quantity: 4 }] })).toEqual({
      kind: 'quantity-conflict',
      lines: [{ sku: a, reserved: 3, requested: 4 }],
    });
  });

  it('joins per-SKU reserves of one order arriving together into one reservation', async () => {
    const skus = [await sku(3), await sku(3), await sku(3)];
    const orderId = uniqueOrderId();
    const outcomes = await Promise.all(
      skus.map((s) => service.reserve({ orderId, lines: [{ sku: s, quantity: 1 }] })),
    );
    expect(outcomes.every((o) => o.kind === 'reserved' && o.created)).toBe(true);
    const reservation = await service.getReservation(orderId);
    expect(reservation?.lines.map((l) => l.sku)).toEqual([...skus].sort());
    const expiries = outcomes.map((o) => (o.kind === 'reserved' ? o.reservation.expiresAt : ''));
    expect(new Set(expiries).size).toBe(1);
  });

  it('reports every short line and every unknown SKU, changing nothing', async () => {
    const [a, b] = [await sku(1), await sku(2)];
    const orderId = uniqueOrderId();
    expect(
      await service.reserve({
        orderId,
        lines: [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 3 },
        ],
      }),
    ).toEqual({
      kind: 'insufficient-stock',
      lines: [
        { sku: a, requested: 2, available: 1 },
        { sku: b, requested: 3, available: 2 },
      ],
    });
    expect(
      await service.reserve({
        orderId,
        lines: [
          { sku: a, quantity: 1 },
          { sku: 'NOPE-X', quantity: 1 },
        ],
      }),
    ).toEqual({
      kind: 'unknown-sku',
      skus: ['NOPE-X'],
    });
    expect(await service.getReservation(orderId)).toBeNull();
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(0);
  });

  it('confirm commits, is idempotent, and closes the order to new reserves', async () => {
    const a = await sku(5);
    const orderId = uniqueOrderId();
    await service.reserve({ orderId, lines: [{ sku: a, quantity: 2 }] });
    expect(await service.confirm({ orderId })).toMatchObject({ kind: 'confirmed', changed: true });
    expect(await service.confirm({ orderId })).toMatchObject({ kind: 'confirmed', changed: false });
    expect(await service.release({ orderId, reason: 'cancelled' })).toMatchObject({
      kind: 'released',
      changed: false,
      reservation: { status: 'CONFIRMED' },
    });
    expect(await service.reserve({ orderId, lines: [{ sku: a, quantity: 2 }] })).toMatchObject({
      kind: 'reservation-closed',
    });
    expect(await service.getStockLevel(a)).toMatchObject({ onHand: 3, reserved: 0 });
    expect((await outboxFor(orderId)).map((r) => r.eventType)).toEqual(['StockReserved', 'StockCommitted']);
  });

  it('release is idempotent, per line or whole; confirm after release answers reservation-released', async () => {
    const [a, b] = [await sku(5), await sku(5)];
    const orderId = uniqueOrderId();
    await service.reserve({
      orderId,
      lines: [
        { sku: a, quantity: 1 },
        { sku: b, quantity: 2 },
      ],
    });
    expect(await service.release({ orderId, sku: a, reason: 'released' })).toMatchObject({
      changed: true,
      reservation: { status: 'RESERVED' },
    });
    expect(await service.release({ orderId, sku: a, reason: 'released' })).toMatchObject({ changed: false });
    expect(await service.release({ orderId, reason: 'expired' })).toMatchObject({
      changed: true,
      reservation: { status: 'RELEASED', releaseReason: 'expired' },
    });
    expect(await service.release({ orderId, reason: 'cancelled' })).toMatchObject({
      changed: false,
      reservation: { releaseReason: 'expired' },
    });
    expect(await service.confirm({ orderId })).toMatchObject({ kind: 'reservation-released' });
    expect(await service.release({ orderId: uniqueOrderId(), reason: 'cancelled' })).toEqual({
      kind: 'not-found',
    });
    expect(await service.release({ orderId, sku: 'OTHER', reason: 'cancelled' })).toEqual({
      kind: 'line-not-found',
    });
    expect(await service.getStockLevel(a)).toMatchObject({ reserved: 0 });
    expect(await service.getStockLevel(b)).toMatchObject({ reserved: 0 });
    const released = (await outboxFor(orderId)).filter((r) => r.eventType === 'StockReleased');
    expect(released.map((r) => (r.payload as { data: { reason: string } }).data.reason)).toEqual([
      'released',
      'expired',
    ]);
  });

  it('setLevels creates then updates; two concurrent creations of one SKU both succeed', async () => {
    const value = uniqueSku('SL');
    const outcomes = await Promise.all([
      service.setLevels({ sku: value, onHand: 4 }),
      service.setLevels({ sku: value, onHand: 6 }),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['created', 'updated']);
    const level = await service.getStockLevel(value);
    expect([4, 6]).toContain(level?.onHand);
    const movements = await service.listMovements({ sku: value });
    expect(movements?.items.map((m) => m.type)).toEqual(['ADJUST', 'ADJUST']);
    expect(movements?.items.reduce((sum, m) => sum + m.quantity, 0)).toBe(level?.onHand);
  });

  it('replenish records a StockReplenished event; movements page newest first', async () => {
    const a = await sku(1);
    await service.replenish({ sku: a, quantity: 4, reference: 'PO-42' });
    await service.replenish({ sku: a, quantity: 5 });
    expect(await service.getStockLevel(a)).toMatchObject({
      onHand: 10,
      available: 10,
      openPurchaseOrder: null,
    });
    const page1 = await service.listMovements({ sku: a, limit: 2 });
    expect(page1?.items.map((m) => [m.type, m.quantity, m.reference])).toEqual([
      ['REPLENISH', 5, undefined],
      ['REPLENISH', 4, 'PO-42'],
    ]);
    const page2 = await service.listMovements({ sku: a, limit: 2, cursor: page1!.nextCursor! });
    expect(page2).toMatchObject({ items: [{ type: 'ADJUST', quantity: 1 }], nextCursor: null });
    const events = await prisma.outboxEvent.findMany({ where: { partitionKey: a }, orderBy: { id: 'asc' } });
    expect(events.map((e) => (e.payload as { data: unknown }).data)).toEqual([
      { sku: a, quantity: 4, onHand: 5, available: 5, reference: 'PO-42' },
      { sku: a, quantity: 5, onHand: 10, available: 10 },
    ]);
    expect(await service.listMovements({ sku: 'NOPE-Y' })).toBeNull();
    expect(await service.replenish({ sku: 'NOPE-Y', quantity: 1 })).toEqual({ kind: 'not-found' });
  });

  it('replenish never raises on hand above the limit PUT enforces; refused without a trace in ledger or outbox', async () => {
    const max = 1_000_000_000;
    const a = await sku(max - 3);
    expect(await service.replenish({ sku: a, quantity: 4 })).toEqual({
      kind: 'on-hand-limit',
      onHand: max - 3,
      max,
    });
    expect(await service.getStockLevel(a)).toMatchObject({ onHand: max - 3 });
    expect((await service.listMovements({ sku: a }))?.items.map((m) => m.type)).toEqual(['ADJUST']);
    expect(await prisma.outboxEvent.count({ where: { partitionKey: a } })).toBe(0);
    expect(await service.replenish({ sku: a, quantity: 3 })).toMatchObject({ level: { onHand: max } });
    expect(await service.setLevels({ sku: a, onHand: max, reorderQuantity: 7 })).toMatchObject({
      kind: 'updated',
      level: { onHand: max, reorderQuantity: 7 },
    });
  });

  it('puts the active W3C trace context in the outbox headers', async () => {
    const provider = new NodeTracerProvider();
    provider.register();
    try {
      const a = await sku(5);
      const orderId = uniqueOrderId();
      const span = provider.getTracer('test').startSpan('reserve');
      await context.with(trace.setSpan(context.active(), span), () =>
        service.reserve({ orderId, lines: [{ sku: a, quantity: 1 }] }),
      );
      span.end();
      const [row] = await outboxFor(orderId);
      const { traceId, spanId } = span.spanContext();
      expect(row?.headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
    } finally {
      await provider.shutdown();
      trace.disable();
      context.disable();
    }
  });

  it('wakes LISTEN inventory_outbox when events are recorded', async () => {
    const a = await sku(5);
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    try {
      await listener.query('LISTEN inventory_outbox');
      const notified = new Promise<string>((resolve) =>
        listener.once('notification', (n) => resolve(n.channel)),
      );
      await service.replenish({ sku: a, quantity: 1 });
      expect(await notified).toBe('inventory_outbox');
    } finally {
      await listener.end();
    }
  });
});
