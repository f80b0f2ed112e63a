import { Writable } from 'node:stream';
import { Client, type PoolClient } from 'pg';
import { claimLeaseSeconds } from '../../../src/adapters/postgres/PgIdempotencyStore';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/container/logger';
import { createPersistenceContainer } from '../../../src/container/persistence';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueSku } from '../../support/naming';

describe('registerPersistence (Awilix)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('inv_container');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('shares one Prisma client, scopes units of work and services, and disconnects on dispose', async () => {
    const container = createPersistenceContainer(
      loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '3', LOG_LEVEL: 'silent', NODE_ENV: 'test' }),
    );
    const s1 = container.createScope();
    const s2 = container.createScope();
    expect(s1.cradle.prisma).toBe(s2.cradle.prisma);
    expect(s1.cradle.unitOfWork).not.toBe(s2.cradle.unitOfWork);
    expect(s1.cradle.inventoryService).toBe(s1.cradle.inventoryService);
    expect(s1.cradle.inventoryService).not.toBe(s2.cradle.inventoryService);

    const sku = uniqueSku('CT');
    expect(await s1.cradle.inventoryService.setLevels({ sku, onHand: 2 })).toMatchObject({ kind: 'created' });
    expect(await s2.cradle.inventoryService.getStockLevel(sku)).toMatchObject({ onHand: 2 });

    const prisma = container.cradle.prisma;
    const disconnect = jest.spyOn(prisma, '$disconnect');
    await container.dispose();
    expect(disconnect).toHaveBeenCalledTimes(1);
  });

  it('uses the configured default reservation TTL', async () => {
    const container = createPersistenceContainer(
      loadConfig({
        DATABASE_URL: db.url,
        RESERVATION_DEFAULT_TTL_SECONDS: '45',
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
      }),
    );
    try {
      const { inventoryService } = container.createScope().cradle;
      const sku = uniqueSku('CT');
      await inventoryService.setLevels({ sku, onHand: 2 });
      const outcome = await inventoryService.reserve({
        orderId: `ttl-${sku}`,
        lines: [{ sku, quantity: 1 }],
      });
      if (outcome.kind !== 'reserved') throw new Error(outcome.kind);
      expect(Date.parse(outcome.reservation.expiresAt) - Date.parse(outcome.reservation.createdAt)).toBe(
        45_000,
      );
    } finally {
      await container.dispose();
    }
  });

  it('holds an Idempotency-Key claim for the lease that REQUEST_DEADLINE_MS gives', async () => {
    const deadlineMs = 7_000;
    const container = createPersistenceContainer(
      loadConfig({
        DATABASE_URL: db.url,
        REQUEST_DEADLINE_MS: String(deadlineMs),
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
      }),
    );
    try {
      const key = `lease-${uniqueSku('CT')}`;
      const scope = { principal: 'container-test', method: 'POST', path: '/reservations', key };
      expect(await container.cradle.idempotencyStore.begin(scope, 'f')).toMatchObject({ kind: 'started' });
      const { rows } = await container.cradle.pgPool.query<{ lease: number }>(
        `SELECT extract(epoch FROM locked_until - created_at)::float AS lease FROM idempotency_keys WHERE key = $1`,
        [key],
      );
      expect(rows[0]!.lease).toBeCloseTo(claimLeaseSeconds(deadlineMs), 2);
    } finally {
      await container.dispose();
    }
  });

  it('logs an idle connection that Postgres terminates (as on a restart) in one small line, without the pg client', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const container = createPersistenceContainer(
      loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2', NODE_ENV: 'test' }),
      createLogger('warn', sink),
    );
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const pool = container.cradle.pgPool;
      const client: PoolClient = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The backend's cancel key, which the client holds and pg-pool attaches to the error it emits.
      const cancelKey = String((client as unknown as { secretKey: number }).secretKey);
      expect(cancelKey).toMatch(/^-?\d+$/);
      client.release();
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);

      const line = await eventually(() => lines.find((l) => l.includes('idle Postgres connection failed')), {
        what: 'the idle-client warning',
      });
      expect(line).not.toContain(cancelKey);
      expect(line).not.toMatch(/"(client|connection|connectionParameters|password)"/);
      const entry = JSON.parse(line) as { err: { stack?: string } };
      expect(entry).toMatchObject({ level: 40, err: { type: 'DatabaseError', code: '57P01' } });
      // Small: a few hundred bytes besides the (clipped) stack, where the client alone is 3-10 KB.
      expect(line.length - (entry.err.stack ?? '').length).toBeLessThan(600);
    } finally {
      await admin.end();
      await container.dispose();
    }
  });
});
