import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { DatabaseUnavailableError, PgUnitOfWork } from '../../../src/adapters/postgres/PgUnitOfWork';
import {
  createPgPool,
  createPrismaClient,
  type PrismaClient,
} from '../../../src/adapters/postgres/PrismaClientFactory';
import { PrismaInventoryRepository } from '../../../src/adapters/postgres/PrismaInventoryRepository';
import { PrismaLedgerAuditor } from '../../../src/adapters/postgres/PrismaLedgerAuditor';
import { PrismaMovementLedgerReader } from '../../../src/adapters/postgres/PrismaMovementLedgerReader';
import { PrismaPurchaseOrderRequestRepository } from '../../../src/adapters/postgres/PrismaPurchaseOrderRequestRepository';
import { PrismaReservationRepository } from '../../../src/adapters/postgres/PrismaReservationRepository';
import { ORDER_LOCK_SPACE } from '../../../src/adapters/postgres/reservationSql';
import { CryptoIdGenerator } from '../../../src/adapters/system/CryptoIdGenerator';
import { SystemClock } from '../../../src/adapters/system/SystemClock';
import type { ReserveOutcome } from '../../../src/application/contracts';
import { InventoryService } from '../../../src/application/InventoryService';
import { ConcurrencyError } from '../../../src/domain/errors';
import { OrderId } from '../../../src/domain/OrderId';
import { ProductInventory } from '../../../src/domain/ProductInventory';
import { Quantity } from '../../../src/domain/Quantity';
import { Reservation } from '../../../src/domain/Reservation';
import { Sku } from '../../../src/domain/Sku';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';

jest.setTimeout(120_000);

const t0 = new Date('2030-01-01T10:00:00.123Z');
const t1 = new Date('2030-01-01T10:01:00.456Z');

/**
 * PgUnitOfWork, the commands' unit of work in the service (the container wires it): the contract
 * (repositories.test.ts) plus what is its own — pipelined statements, writes deferred
 * to one statement at commit, prepared statements per connection, the connection and transaction
 * deadlines — and the service's concurrency guarantees over it.
 */
describe('PgUnitOfWork (node-postgres on the shared pool)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let prisma: PrismaClient;
  let uow: PgUnitOfWork;

  const serviceOver = (unitOfWork: PgUnitOfWork) =>
    new InventoryService({
      unitOfWork,
      inventoryRepository: new PrismaInventoryRepository(prisma),
      reservationRepository: new PrismaReservationRepository(prisma),
      movementReader: new PrismaMovementLedgerReader(prisma),
      purchaseOrderRepository: new PrismaPurchaseOrderRequestRepository(prisma),
      clock: new SystemClock(),
      ids: new CryptoIdGenerator(),
    });

  beforeAll(async () => {
    db = await createTestDatabase('inv_pguow');
    // As many connections as the concurrency test has orders: every transaction competes at once.
    pool = createPgPool({ connectionString: db.url, poolSize: 50 });
    prisma = createPrismaClient({ pool });
    uow = new PgUnitOfWork({ pool });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await db?.drop();
  });

  it('writes an aggregate, its movements and the outbox in one commit, and reads them back', async () => {
    const sku = Sku.of(uniqueSku('PG'));
    const created = ProductInventory.create(sku, { onHand: 9, safetyStock: 2, reorderQuantity: 30 }, t0);
    await uow.run(async (tx) => {
      await tx.inventory.save([created]);
      await tx.outbox.record([
        {
          eventId: '5f1c8a34-3b2d-4a55-8f5e-0c6d1f7b9a01',
          type: 'A',
          partitionKey: sku.value,
          occurredAt: t0,
          data: { n: 1 },
        },
      ]);
      await tx.outbox.record([
        {
          eventId: '5f1c8a34-3b2d-4a55-8f5e-0c6d1f7b9a02',
          type: 'B',
          partitionKey: sku.value,
          occurredAt: t0,
          data: { n: 2 },
        },
      ]);
    });
    const loaded = await uow.run((tx) => tx.inventory.findBySku(sku));
    expect(loaded).toMatchObject({
      onHand: 9,
      reserved: 0,
      safetyStock: 2,
      reorderQuantity: 30,
      version: 0,
      createdAt: t0,
    });
    const movements = await uow.run((tx) => tx.movements.listBySku(sku, { limit: 10 }));
    expect(movements.map((m) => [m.type, m.quantity, m.onHandAfter])).toEqual([['ADJUST', 9, 9]]);
    // Two records of one transaction: one INSERT, ids in recording order.
    const outbox = await prisma.outboxEvent.findMany({
      where: { partitionKey: sku.value },
      orderBy: { id: 'asc' },
    });
    expect(outbox.map((e) => [e.eventType, (e.payload as { data: unknown }).data])).toEqual([
      ['A', { n: 1 }],
      ['B', { n: 2 }],
    ]);
  });

  it('rolls back every write when the work throws, and nothing is sent before the commit', async () => {
    const sku = Sku.of(uniqueSku('PG'));
    await expect(
      uow.run(async (tx) => {
        await tx.inventory.save([ProductInventory.create(sku, { onHand: 3 }, t0)]);
        await tx.outbox.record([
          {
            eventId: randomUUID(),
            type: 'StockReplenished',
            partitionKey: sku.value,
            occurredAt: t0,
            data: {},
          },
        ]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await prisma.stockLevel.findUnique({ where: { sku: sku.value } })).toBeNull();
    expect(await prisma.stockMovement.count({ where: { sku: sku.value } })).toBe(0);
    expect(await prisma.outboxEvent.count({ where: { partitionKey: sku.value } })).toBe(0);
  });

  it('reruns the whole work after a ConcurrencyError, at most three times', async () => {
    let attempts = 0;
    const result = await uow.run(async () => {
      attempts += 1;
      if (attempts < 3) throw new ConcurrencyError('simulated');
      return 'done';
    });
    expect({ result, attempts }).toEqual({ result: 'done', attempts: 3 });
    attempts = 0;
    await expect(
      uow.run(async () => {
        attempts += 1;
        throw new ConcurrencyError('always');
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(attempts).toBe(3);
  });

  it('turns a stale deferred write into a ConcurrencyError at commit, with nothing of it written', async () => {
    const sku = Sku.of(uniqueSku('PG'));
    await uow.run((tx) => tx.inventory.save([ProductInventory.create(sku, { onHand: 5 }, t0)]));
    const stale = (await new PrismaInventoryRepository(prisma).findBySku(sku))!;
    await uow.run(async (tx) => {
      const current = (await tx.inventory.lockForUpdate([sku])).get(sku.value)!;
      current.replenish(Quantity.of(1), 'first', t1);
      await tx.inventory.save([current]);
    });
    let attempts = 0;
    await expect(
      uow.run(async (tx) => {
        attempts += 1;
        stale.replenish(Quantity.of(1), `stale-${attempts}`, t1);
        await tx.inventory.save([stale]);
        await tx.outbox.record([
          {
            eventId: '5f1c8a34-3b2d-4a55-8f5e-0c6d1f7b9a03',
            type: 'X',
            partitionKey: sku.value,
            occurredAt: t1,
            data: {},
          },
        ]);
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(attempts).toBe(3);
    expect(await prisma.stockLevel.findUnique({ where: { sku: sku.value } })).toMatchObject({
      onHand: 6,
      version: 1,
    });
    expect(await prisma.stockMovement.count({ where: { sku: sku.value } })).toBe(2);
    expect(await prisma.outboxEvent.count({ where: { partitionKey: sku.value } })).toBe(0);
  });

  it('keeps a connection usable after a failed statement in a pipeline (prepared statements included)', async () => {
    const single = createPgPool({ connectionString: db.url, poolSize: 1 });
    try {
      const one = new PgUnitOfWork({ pool: single });
      const sku = Sku.of(uniqueSku('PG'));
      await one.run((tx) => tx.inventory.save([ProductInventory.create(sku, { onHand: 2 }, t0)]));
      // A bad value fails the commit's statement; the transaction is rolled back as a whole.
      await expect(
        one.run(async (tx) => {
          const inv = (await tx.inventory.lockForUpdate([sku])).get(sku.value)!;
          inv.replenish(Quantity.of(1), undefined, t1);
          await tx.inventory.save([inv]);
          await tx.outbox.record([
            { eventId: 'not-a-uuid', type: 'X', partitionKey: sku.value, occurredAt: t1, data: {} },
          ]);
        }),
      ).rejects.toThrow(/uuid/);
      // Same (only) connection, same prepared statements: still works.
      for (let i = 0; i < 3; i++) {
        await one.run(async (tx) => {
          const inv = (await tx.inventory.lockForUpdate([sku])).get(sku.value)!;
          inv.replenish(Quantity.of(1), undefined, t1);
          await tx.inventory.save([inv]);
        });
      }
      expect(await one.run((tx) => tx.inventory.findBySku(sku))).toMatchObject({ onHand: 5, version: 3 });
      expect(single.totalCount).toBe(1);
    } finally {
      await single.end();
    }
  });

  it('serialises two first reserves of the same order on the advisory lock; the second sees the first', async () => {
    const sku = uniqueSku('PG');
    await uow.run((tx) => tx.inventory.save([ProductInventory.create(Sku.of(sku), { onHand: 5 }, t0)]));
    const orderId = OrderId.of(uniqueOrderId());
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const order: string[] = [];
    const first = uow.run(async (tx) => {
      await tx.reservations.lockByOrderId(orderId);
      firstLocked();
      await firstHolds;
      order.push('first');
      await tx.reservations.save(
        Reservation.create({
          orderId,
          lines: [{ sku: Sku.of(sku), quantity: Quantity.of(1) }],
          expiresAt: t1,
          now: t0,
        }),
      );
    });
    await locked;
    const second = uow.run(async (tx) => {
      const seen = await tx.reservations.lockByOrderId(orderId);
      order.push(seen ? `second saw ${seen.lines.length} line` : 'second saw nothing');
    });
    let waiting = 0;
    for (let i = 0; i < 500 && waiting === 0; i++) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      waiting = rows[0]!.n;
    }
    expect(waiting).toBe(1);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second saw 1 line']);
  });

  it('rolls back a transaction that outlives its deadline and frees its locks', async () => {
    const short = new PgUnitOfWork({ pool, options: { timeoutMs: 300 } });
    const orderId = OrderId.of(uniqueOrderId());
    await expect(
      short.run(async (tx) => {
        await tx.reservations.lockByOrderId(orderId);
        await new Promise((resolve) => setTimeout(resolve, 800));
        await tx.reservations.lockByOrderId(orderId);
      }),
    ).rejects.toThrow(/300 ms/);
    // The lock is free again: a try-lock from another session gets it without waiting.
    const { rows } = await pool.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1::int, hashtext($2::text)) AS locked',
      [ORDER_LOCK_SPACE, orderId.value],
    );
    expect(rows[0]?.locked).toBe(true);
  });

  it('reports a database it cannot reach as transient (nothing written: HTTP 503), a bad statement as is', async () => {
    const unreachable = createPgPool({ connectionString: 'postgresql://x:y@127.0.0.1:1/none', poolSize: 1 });
    try {
      const error = await new PgUnitOfWork({ pool: unreachable })
        .run(async () => 'never')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error).toMatchObject({ transient: true });
    } finally {
      await unreachable.end();
    }
    // A terminated backend mid-transaction (a Postgres restart, as the server sees it).
    const killed = await uow
      .run(async (tx) => {
        await tx.reservations.lockByOrderId(OrderId.of(uniqueOrderId()));
        await pool.query(
          'SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = $1 AND granted AND pid <> pg_backend_pid()',
          ['advisory'],
        );
        await tx.reservations.lockByOrderId(OrderId.of(uniqueOrderId()));
      })
      .catch((e: unknown) => e);
    expect(killed).toMatchObject({ transient: true });
    const bad = await uow.run(() => pool.query('SELECT nonsense FROM nowhere')).catch((e: unknown) => e);
    expect(bad).not.toBeInstanceOf(DatabaseUnavailableError);
  });

  it('retries a transaction that Postgres aborted to break a deadlock; both complete', async () => {
    const [a, b] = [Sku.of(uniqueSku('PGDL')), Sku.of(uniqueSku('PGDL'))].sort((x, y) =>
      x.value.localeCompare(y.value),
    );
    await uow.run((tx) =>
      tx.inventory.save([
        ProductInventory.create(a!, { onHand: 5 }, t0),
        ProductInventory.create(b!, { onHand: 5 }, t0),
      ]),
    );
    // Each first takes one row, then (once the other holds its own) wants the other's: a lock cycle.
    let held = 0;
    let bothHold!: () => void;
    const cycle = new Promise<void>((resolve) => (bothHold = resolve));
    const attempts = { ab: 0, ba: 0 };
    const crossing = (first: Sku, second: Sku, key: keyof typeof attempts) =>
      uow.run(async (tx) => {
        attempts[key] += 1;
        await tx.inventory.lockForUpdate([first]);
        if (attempts[key] === 1) {
          held += 1;
          if (held === 2) bothHold();
          await cycle;
        }
        const inv = (await tx.inventory.lockForUpdate([second])).get(second.value)!;
        inv.replenish(Quantity.of(1), undefined, t1);
        await tx.inventory.save([inv]);
      });
    await Promise.all([crossing(a!, b!, 'ab'), crossing(b!, a!, 'ba')]);
    // One of them was the deadlock's victim and ran again.
    expect(attempts.ab + attempts.ba).toBe(3);
    const levels = await uow.run(async (tx) => [
      await tx.inventory.findBySku(a!),
      await tx.inventory.findBySku(b!),
    ]);
    expect(levels.map((l) => l?.onHand)).toEqual([6, 6]);
  });

  it('gives up waiting for a connection after maxWaitMs', async () => {
    const single = createPgPool({ connectionString: db.url, poolSize: 1 });
    try {
      const impatient = new PgUnitOfWork({ pool: single, options: { maxWaitMs: 100 } });
      let release!: () => void;
      const holding = impatient.run(() => new Promise<void>((resolve) => (release = resolve)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await expect(impatient.run(async () => 'never')).rejects.toThrow(/100 ms/);
      release();
      await holding;
      expect(await impatient.run(async () => 'again')).toBe('again');
    } finally {
      await single.end();
    }
  });

  describe('InventoryService over it', () => {
    it('reserves concurrent overlapping multi-line orders all-or-nothing, without deadlock; the ledger replays', async () => {
      const skus = Array.from({ length: 6 }, () => uniqueSku('PGML'));
      const service = serviceOver(uow);
      for (const sku of skus) await service.setLevels({ sku, onHand: 12 });
      const shuffled = <T>(items: readonly T[]) => [...items].sort(() => Math.random() - 0.5);
      const orders = Array.from({ length: 50 }, (_, i) => ({
        orderId: uniqueOrderId(`pgml${i}`),
        lines: shuffled(skus)
          .slice(0, 2 + (i % 4))
          .map((sku) => ({ sku, quantity: 1 + (i % 3) })),
      }));
      const settled = await Promise.allSettled(orders.map((o) => service.reserve(o)));
      expect(
        settled
          .filter((s) => s.status === 'rejected')
          .map((s) => String((s as PromiseRejectedResult).reason)),
      ).toEqual([]);
      const outcomes = settled.map((s) => (s as PromiseFulfilledResult<ReserveOutcome>).value);
      expect(new Set(outcomes.map((o) => o.kind))).toEqual(new Set(['reserved', 'insufficient-stock']));

      const expected = new Map(skus.map((s) => [s, 0]));
      orders.forEach((o, i) => {
        if (outcomes[i]!.kind !== 'reserved') return;
        for (const l of o.lines) expected.set(l.sku, expected.get(l.sku)! + l.quantity);
      });
      for (const sku of skus) {
        expect(await prisma.stockLevel.findUniqueOrThrow({ where: { sku } })).toMatchObject({
          onHand: 12,
          reserved: expected.get(sku),
        });
      }
      const reservedOrders = orders.filter((_, i) => outcomes[i]!.kind === 'reserved');
      expect(
        await prisma.reservationLine.count({ where: { orderId: { in: orders.map((o) => o.orderId) } } }),
      ).toBe(reservedOrders.reduce((n, o) => n + o.lines.length, 0));
      expect((await new PrismaLedgerAuditor(prisma).audit()).discrepancies).toEqual([]);
    });

    it('reserves a new order in two round trips and two socket writes: locks and read together, then every write with COMMIT', async () => {
      const sku = uniqueSku('PGRT');
      await serviceOver(uow).setLevels({ sku, onHand: 5 });
      // A pool whose connections record, for each query, how many of the earlier ones had answered when
      // it was sent: a query sent after an answer opens a new round trip. It also counts what reaches
      // the socket's own write functions (one system call each).
      const waves: number[] = [];
      let socketWrites = 0;
      const counting = {
        connect: async () => {
          const client = await pool.connect();
          const original = client.query;
          const release = client.release.bind(client);
          const query = original.bind(client) as (...args: unknown[]) => Promise<unknown>;
          type Writes = { _write: (...a: unknown[]) => unknown; _writev: (...a: unknown[]) => unknown };
          const socket = (client as unknown as { connection: { stream: Writes } }).connection.stream;
          const [write, writev] = [socket._write, socket._writev];
          socket._write = (...a: unknown[]) => ((socketWrites += 1), write.apply(socket, a));
          socket._writev = (...a: unknown[]) => ((socketWrites += 1), writev.apply(socket, a));
          let sent = 0;
          let answered = 0;
          let lastWaveAt = -1;
          (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
            if (answered > lastWaveAt) {
              waves.push(sent);
              lastWaveAt = answered;
            }
            sent += 1;
            return query(...args).finally(() => (answered += 1));
          };
          // The pool's other users get the connection back as it was.
          client.release = (err?: Error | boolean) => {
            socket._write = write;
            socket._writev = writev;
            client.query = original;
            client.release = release;
            release(err);
          };
          return client;
        },
      } as unknown as Pool;
      const outcome = await serviceOver(new PgUnitOfWork({ pool: counting })).reserve({
        orderId: uniqueOrderId(),
        lines: [{ sku, quantity: 2 }],
      });
      expect(outcome.kind).toBe('reserved');
      expect({ roundTrips: waves.length, socketWrites }).toEqual({ roundTrips: 2, socketWrites: 2 });
    });

    it('answers a repeat as a no-op, a different quantity as a conflict, and releases once', async () => {
      const service = serviceOver(uow);
      const sku = uniqueSku('PGR');
      await service.setLevels({ sku, onHand: 5 });
      const orderId = uniqueOrderId();
      const command = { orderId, lines: [{ sku, quantity: 2 }] };
      expect(await service.reserve(command)).toMatchObject({ kind: 'reserved', created: true });
      expect(await service.reserve(command)).toMatchObject({ kind: 'reserved', created: false });
      expect(await service.reserve({ orderId, lines: [{ sku, quantity: 3 }] })).toMatchObject({
        kind: 'quantity-conflict',
      });
      expect(await service.release({ orderId, reason: 'cancelled' })).toMatchObject({
        kind: 'released',
        changed: true,
      });
      expect(await service.release({ orderId, reason: 'cancelled' })).toMatchObject({
        kind: 'released',
        changed: false,
      });
      expect(await prisma.stockLevel.findUniqueOrThrow({ where: { sku } })).toMatchObject({
        reserved: 0,
        version: 2,
      });
      expect(await prisma.stockMovement.count({ where: { sku, type: { in: ['RESERVE', 'RELEASE'] } } })).toBe(
        2,
      );
    });

    it('opens one purchase-order request, with one event, when concurrent reserves cross the safety stock', async () => {
      const service = serviceOver(uow);
      const sku = uniqueSku('PGSS');
      await service.setLevels({ sku, onHand: 20, safetyStock: 15, reorderQuantity: 40 });
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, () =>
          service.reserve({ orderId: uniqueOrderId('pgss'), lines: [{ sku, quantity: 1 }] }),
        ),
      );
      expect(outcomes.every((o) => o.kind === 'reserved')).toBe(true);
      expect(await prisma.purchaseOrderRequest.count({ where: { sku } })).toBe(1);
      expect(await prisma.purchaseOrderRequest.count({ where: { sku, status: 'OPEN' } })).toBe(1);
      expect(
        await prisma.outboxEvent.count({ where: { partitionKey: sku, eventType: 'PurchaseOrderRequested' } }),
      ).toBe(1);
      expect(
        await prisma.outboxEvent.count({ where: { partitionKey: sku, eventType: 'StockReserved' } }),
      ).toBe(12);

      // A replenishment back above safety stock closes it in the same transaction.
      expect(await service.replenish({ sku, quantity: 50 })).toMatchObject({ kind: 'replenished' });
      expect(await prisma.purchaseOrderRequest.count({ where: { sku, status: 'OPEN' } })).toBe(0);
    });
  });
});
