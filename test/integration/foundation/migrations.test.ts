import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  applyMigrations,
  checksumOf,
  MigrationError,
  readMigrations,
} from '../../../src/adapters/postgres/MigrationApplier';
import { createEmptyDatabase, type TestDatabase } from '../../support/db';

const REAL_MIGRATIONS = join(__dirname, '..', '..', '..', 'prisma', 'migrations');

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** A private copy of the migrations plus one fixture migration, so tests can edit files freely. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  cpSync(REAL_MIGRATIONS, dir, { recursive: true });
  mkdirSync(join(dir, '29991231235959_fixture'));
  writeFileSync(
    join(dir, '29991231235959_fixture', 'migration.sql'),
    'CREATE TABLE fixture_t (id int PRIMARY KEY);\n',
  );
  return dir;
}

describe('migration applier (writes _prisma_migrations like prisma migrate deploy)', () => {
  let db: TestDatabase;
  let dir: string;

  beforeEach(async () => {
    db = await createEmptyDatabase('inv_mig');
    dir = migrationsCopy();
  });

  afterEach(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration to a fresh database and records each like Prisma', async () => {
    const expected = readMigrations(dir);
    const result = await applyMigrations(db.url, dir);
    expect(result.applied).toEqual(expected.map((m) => m.name));
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
      rolled_back_at: Date | null;
      id: string;
    }>(db.url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(expected.map((m) => m.name));
    for (const row of rows) {
      const file = expected.find((m) => m.name === row.migration_name)!;
      expect(row.checksum).toBe(file.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await query(db.url, 'SELECT * FROM fixture_t')).toEqual([]);
  });

  it('is a no-op when run again', async () => {
    await applyMigrations(db.url, dir);
    const again = await applyMigrations(db.url, dir);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toHaveLength(readMigrations(dir).length);
    const [{ count }] = await query<{ count: string }>(db.url, 'SELECT count(*) FROM "_prisma_migrations"');
    expect(Number(count)).toBe(readMigrations(dir).length);
  });

  it('refuses, naming the migration, when an applied migration file has changed', async () => {
    await applyMigrations(db.url, dir);
    writeFileSync(
      join(dir, '29991231235959_fixture', 'migration.sql'),
      'CREATE TABLE fixture_t (id bigint);\n',
    );
    const attempt = applyMigrations(db.url, dir);
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(applyMigrations(db.url, dir)).rejects.toThrow(
      /29991231235959_fixture was modified after it was applied/,
    );
  });

  it('rolls a failing migration back, records it unfinished, and refuses until it is resolved', async () => {
    writeFileSync(
      join(dir, '29991231235959_fixture', 'migration.sql'),
      'CREATE TABLE ok_t (id int); SELECT 1/0;\n',
    );
    await expect(applyMigrations(db.url, dir)).rejects.toThrow(
      /29991231235959_fixture failed: division by zero/,
    );
    const tables = await query(db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'ok_t'");
    expect(tables).toHaveLength(0);
    await expect(applyMigrations(db.url, dir)).rejects.toThrow(
      /failed earlier and is recorded as unfinished/,
    );
  });

  it('applies each migration once when two appliers race', async () => {
    const results = await Promise.all([applyMigrations(db.url, dir), applyMigrations(db.url, dir)]);
    const names = readMigrations(dir).map((m) => m.name);
    expect([...results[0].applied, ...results[1].applied].sort()).toEqual([...names].sort());
    const rows = await query<{ migration_name: string }>(
      db.url,
      'SELECT migration_name FROM "_prisma_migrations"',
    );
    expect(rows.map((r) => r.migration_name).sort()).toEqual([...names].sort());
  });

  it('checksums the file bytes with sha256 as Prisma does', () => {
    const [first] = readMigrations(dir);
    expect(first.checksum).toBe(checksumOf(first.sql));
    expect(readdirSync(dir)).toContain('migration_lock.toml');
  });
});
