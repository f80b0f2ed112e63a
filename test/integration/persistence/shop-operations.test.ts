import type { Pool } from 'pg';
import { claimLeaseSeconds, PgIdempotencyStore } from '../../../src/adapters/postgres/PgIdempotencyStore';
import { PAST_DEADLINE_MS } from '../../../src/application/landed';
import {
  createPgPool,
  createPrismaClient,
  type PrismaClient,
} from '../../../src/adapters/postgres/PrismaClientFactory';
import type { InventoryService } from '../../../src/application/InventoryService';
import type { IdempotencyScope } from '../../../src/application/ports';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueName, uniqueSku } from '../../support/naming';
import { postgresInventory } from './helpers';

jest.setTimeout(30_000);

describe('shop operations on Postgres', () => {
  let db: TestDatabase;
  let pool: Pool;
  let prisma: PrismaClient;
  let services: Record<'pg', InventoryService>;

  beforeAll(async () => {
    db = await createTestDatabase('inv_ops');
    pool = createPgPool({ connectionString: db.url, poolSize: 8 });
    prisma = createPrismaClient({ pool });
    services = { pg: postgresInventory({ pool, prisma }) };
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await db?.drop();
  });

  describe('PgIdempotencyStore', () => {
    const scope = (): IdempotencyScope => ({
      key: uniqueName('key'),
      principal: 'orders-capi',
      method: 'POST',
      path: '/inventory/SKU-1/replenish',
    });
    const response = { status: 201, headers: { location: '/x' }, body: '{"a":1}' };

    /** Claims the key; fails the test unless this request got it. */
    const claim = async (store: PgIdempotencyStore, s: IdempotencyScope, fingerprint = 'f') => {
      const outcome = await store.begin(s, fingerprint);
      if (outcome.kind !== 'started') throw new Error(`expected the key to be claimed, got ${outcome.kind}`);
      expect(outcome.claim).toMatchObject(s);
      return outcome.claim;
    };
    const leaseRunsOut = (s: IdempotencyScope) =>
      pool.query(`UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`, [
        s.key,
      ]);

    it('claims a key once, replays its response, refuses another body, reports one in flight', async () => {
      const store = new PgIdempotencyStore(pool, { retentionSeconds: 3600 });
      const s = scope();
      const first = await claim(store, s, 'f1');
      expect(await store.begin(s, 'f1')).toEqual({ kind: 'in-flight' });
      expect(await store.begin(s, 'f2')).toEqual({ kind: 'mismatch' });
      await store.complete(first, response);
      expect(await store.begin(s, 'f1')).toEqual({ kind: 'replay', response });
      expect(await store.begin(s, 'f2')).toEqual({ kind: 'mismatch' });
      // Another caller, method or path: another key.
      await claim(store, { ...s, principal: 'someone' }, 'f1');
      await claim(store, { ...s, method: 'PUT' }, 'f1');
      await claim(store, { ...s, path: '/other' }, 'f1');
    });

    it('gives exactly one of many concurrent first requests the key', async () => {
      const store = new PgIdempotencyStore(pool, { retentionSeconds: 3600 });
      const s = scope();
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => store.begin(s, 'f')));
      expect(outcomes.filter((o) => o.kind === 'started')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'in-flight')).toHaveLength(7);
    });

    it('frees an abandoned key, and lets a request take over a key whose lease ran out', async () => {
      const store = new PgIdempotencyStore(pool, { retentionSeconds: 3600 });
      const s = scope();
      await store.abandon(await claim(store, s));
      await claim(store, s);
      await leaseRunsOut(s);
      const taken = await claim(store, s);
      // A completed key is not abandoned by a late abandon.
      await store.complete(taken, response);
      await store.abandon(taken);
      expect(await store.begin(s, 'f')).toMatchObject({ kind: 'replay' });
    });

    it("leaves a taken-over key to the claim that holds it: the earlier claim's late abandon or answer changes nothing", async () => {
      const store = new PgIdempotencyStore(pool, { retentionSeconds: 3600 });
      const s = scope();
      const late = await claim(store, s);
      await leaseRunsOut(s);
      const current = await claim(store, s);
      expect(current.token).not.toBe(late.token);

      await store.abandon(late);
      expect(await store.begin(s, 'f')).toEqual({ kind: 'in-flight' });
      await store.complete(late, { ...response, body: '{"late":true}' });
      expect(await store.begin(s, 'f')).toEqual({ kind: 'in-flight' });

      await store.complete(current, response);
      expect(await store.begin(s, 'f')).toEqual({ kind: 'replay', response });
    });

    it('holds a claim for the lease it was given: the request deadline, what may follow it, and a margin', async () => {
      // The default REQUEST_DEADLINE_MS: longer than a request can run, and far below the old fixed 120 s.
      const leaseSeconds = claimLeaseSeconds(2_000);
      expect(leaseSeconds * 1000).toBeGreaterThan(2_000 + PAST_DEADLINE_MS);
      expect(leaseSeconds).toBe(15);
      const store = new PgIdempotencyStore(pool, { retentionSeconds: 3600, leaseSeconds });
      const s = scope();
      await claim(store, s);
      const { rows } = await pool.query<{ lease: number }>(
        `SELECT extract(epoch FROM locked_until - created_at)::float AS lease FROM idempotency_keys WHERE key = $1`,
        [s.key],
      );
      expect(rows[0]!.lease).toBeCloseTo(leaseSeconds, 2);
    });

    it('purges expired keys in batches and leaves the others', async () => {
      const store = new PgIdempotencyStore(pool, { retentionSeconds: 3600 });
      const expired = Array.from({ length: 5 }, scope);
      const kept = scope();
      for (const s of [...expired, kept]) {
        await store.complete(await claim(store, s), response);
      }
      await pool.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ANY($1::text[])`,
        [expired.map((s) => s.key)],
      );
      expect(await store.purgeExpired(3)).toBe(3);
      expect(await store.purgeExpired(3)).toBe(2);
      expect(await store.purgeExpired(3)).toBe(0);
      const { rows } = await pool.query(`SELECT key FROM idempotency_keys WHERE key = ANY($1::text[])`, [
        [...expired, kept].map((s) => s.key),
      ]);
      expect(rows).toEqual([{ key: kept.key }]);
    });
  });

  describe.each(['pg'] as const)('replenish reference (%s unit of work)', (which) => {
    it('books a reference once per SKU, also when the repeats race', async () => {
      const service = services[which];
      const sku = uniqueSku('REF');
      await service.setLevels({ sku, onHand: 0 });
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () => service.replenish({ sku, quantity: 4, reference: 'GR-9' })),
      );
      expect(outcomes.filter((o) => o.kind === 'replenished' && !o.repeated)).toHaveLength(1);
      expect((await service.getStockLevel(sku))?.onHand).toBe(4);
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM stock_movements WHERE sku = $1 AND type = 'REPLENISH'`,
        [sku],
      );
      expect(rows[0].n).toBe(1);
    });
  });

  it('the database itself refuses a second REPLENISH movement with the same reference', async () => {
    const sku = uniqueSku('REF');
    await services.pg.setLevels({ sku, onHand: 0 });
    await services.pg.replenish({ sku, quantity: 1, reference: 'GR-1' });
    await expect(
      pool.query(
        `INSERT INTO stock_movements (sku, type, quantity, reference, on_hand_after, reserved_after, occurred_at)
         VALUES ($1, 'REPLENISH', 1, 'GR-1', 2, 0, now())`,
        [sku],
      ),
    ).rejects.toMatchObject({ code: '23505' });
  });

  describe.each(['pg'] as const)('adjustments (%s unit of work)', (which) => {
    it('stores one ADJUST with reason, reference and note, listed by type and reason', async () => {
      const service = services[which];
      const sku = uniqueSku('ADJ');
      await service.setLevels({ sku, onHand: 10 });
      await service.adjust({ sku, delta: -3, reason: 'damaged', reference: 'DMG-1', note: 'wet' });
      await service.replenish({ sku, quantity: 1 });
      await service.adjust({ sku, onHand: 9, reason: 'cycle-count' });
      expect(await service.adjust({ sku, delta: -10, reason: 'shrinkage' })).toMatchObject({
        kind: 'below-reserved',
      });
      const damaged = await service.listMovements({ sku, reason: 'damaged' });
      expect(damaged?.items).toEqual([
        expect.objectContaining({
          type: 'ADJUST',
          quantity: -3,
          reason: 'damaged',
          reference: 'DMG-1',
          note: 'wet',
          onHandAfter: 7,
        }),
      ]);
      const adjusts = await service.listMovements({ sku, type: 'ADJUST' });
      expect(adjusts?.items.map((m) => [m.reason, m.quantity])).toEqual([
        ['cycle-count', 1],
        ['damaged', -3],
        ['created', 10],
      ]);
      const { rows } = await pool.query(
        `SELECT event_type, payload->'data' AS data FROM outbox_events WHERE partition_key = $1 AND event_type = 'StockAdjusted' ORDER BY id`,
        [sku],
      );
      expect(rows.map((r) => r.data)).toEqual([
        {
          sku,
          delta: -3,
          onHand: 7,
          reserved: 0,
          available: 7,
          reason: 'damaged',
          reference: 'DMG-1',
          note: 'wet',
        },
        { sku, delta: 1, onHand: 9, reserved: 0, available: 9, reason: 'cycle-count' },
      ]);
    });
  });

  it('the transaction-side ledger reader filters the same way', async () => {
    const sku = uniqueSku('ADJ');
    await services.pg.setLevels({ sku, onHand: 3 });
    await services.pg.adjust({ sku, delta: 2, reason: 'returned' });
    const { PgMovementLedgerReader } = await import('../../../src/adapters/postgres/PgRepositories');
    const { PgSession } = await import('../../../src/adapters/postgres/PgSession');
    const client = await pool.connect();
    try {
      const reader = new PgMovementLedgerReader(new PgSession(client as never));
      const { Sku } = await import('../../../src/domain/Sku');
      const rows = await reader.listBySku(Sku.of(sku), { limit: 10, type: 'ADJUST', reason: 'returned' });
      expect(rows).toEqual([expect.objectContaining({ quantity: 2, reason: 'returned', note: null })]);
      expect(await reader.listBySku(Sku.of(sku), { limit: 10, type: 'REPLENISH' })).toEqual([]);
    } finally {
      client.release();
    }
  });

  describe.each(['pg'] as const)('reservation extension (%s unit of work)', (which) => {
    it('writes the new expiry, and refuses a released reservation', async () => {
      const service = services[which];
      const sku = uniqueSku('EXT');
      const orderId = uniqueName('order');
      await service.setLevels({ sku, onHand: 5 });
      const reserved = await service.reserve({ orderId, lines: [{ sku, quantity: 1 }], ttlSeconds: 30 });
      expect(reserved.kind).toBe('reserved');
      const before = Date.now();
      const outcome = await service.extend({ orderId, ttlSeconds: 3600 });
      expect(outcome).toMatchObject({ kind: 'extended', changed: true });
      const { rows } = await pool.query(`SELECT expires_at, version FROM reservations WHERE order_id = $1`, [
        orderId,
      ]);
      expect(rows[0].expires_at.getTime()).toBeGreaterThanOrEqual(before + 3_599_000);
      expect((await service.getReservation(orderId))?.expiresAt).toBe(rows[0].expires_at.toISOString());
      // Its lines' expiry (what reads count expired units by) and a request telling the workflow.
      const lines = await pool.query(`SELECT expires_at FROM reservation_lines WHERE order_id = $1`, [
        orderId,
      ]);
      expect(lines.rows.map((r) => r.expires_at.toISOString())).toEqual([rows[0].expires_at.toISOString()]);
      const requests = await pool.query(
        `SELECT kind FROM workflow_requests WHERE order_id = $1 ORDER BY id`,
        [orderId],
      );
      expect(requests.rows.map((r) => r.kind)).toContain('extend');
      // No change, no request.
      const before2 = requests.rows.length;
      expect(await service.extend({ orderId, ttlSeconds: 1 })).toMatchObject({
        kind: 'extended',
        changed: false,
      });
      const after2 = await pool.query(
        `SELECT count(*)::int AS n FROM workflow_requests WHERE order_id = $1`,
        [orderId],
      );
      expect(after2.rows[0].n).toBe(before2);
      await service.release({ orderId, reason: 'released' });
      expect(await service.extend({ orderId, ttlSeconds: 60 })).toMatchObject({ kind: 'reservation-closed' });
    });
  });
});
