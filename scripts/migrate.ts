import { join } from 'node:path';
import { applyMigrations, MigrationError } from '../src/adapters/postgres/MigrationApplier';

// Applies prisma/migrations to DATABASE_URL the way `prisma migrate deploy` would (offline).
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgresql://inventory:inventory@127.0.0.1:5432/inventory';
  const dir = process.env.MIGRATIONS_DIR ?? join(process.cwd(), 'prisma', 'migrations');
  const result = await applyMigrations(url, dir, (line) => console.log(`    ${line}`));
  console.log(
    `    ${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied`,
  );
}

main().catch((err: unknown) => {
  const prefix = err instanceof MigrationError ? `migration refused (${err.code})` : 'migration failed';
  console.error(`${prefix}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
