// Applied migrations are immutable (MigrationApplier refuses a changed checksum), and a database that
// CI or an operator migrated keeps its record across clones. This check fails the lint when a
// migration.sql differs from the content it was first committed with, before any database sees it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { checksumOf, readMigrations } from '../src/adapters/postgres/MigrationApplier';

const MIGRATIONS_DIR = join(__dirname, '..', 'prisma', 'migrations');

// Migrations amended after their first commit but before any database applied the first version: the
// content databases hold (their recorded checksum). Never add to this for a migration that has landed.
const SETTLED_CHECKSUMS: Readonly<Record<string, string>> = {
  '20261201200000_postgres_first_reserve': 'f84c230dac89bef5306a3afcf58f19242a09f5b777c457c6489ee7661ec20a1a',
};

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: join(__dirname, '..'), encoding: 'utf8', maxBuffer: 1 << 26 });
}

function firstCommittedChecksum(name: string): string | undefined {
  const path = `prisma/migrations/${name}/migration.sql`;
  const commits = git(['log', '--format=%H', '--diff-filter=A', '--', path])
    .trim()
    .split('\n')
    .filter(Boolean);
  const first = commits.at(-1);
  return first === undefined ? undefined : checksumOf(git(['show', `${first}:${path}`]));
}

const problems: string[] = [];
for (const m of readMigrations(MIGRATIONS_DIR)) {
  const settled = SETTLED_CHECKSUMS[m.name] ?? firstCommittedChecksum(m.name);
  if (settled !== undefined && settled !== m.checksum) {
    problems.push(
      `${m.name}: migration.sql changed after it was committed (checksum ${m.checksum}, committed ${settled}); ` +
        'restore it and put the change in a new migration',
    );
  }
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`migrations unchanged since their first commit (${readMigrations(MIGRATIONS_DIR).length})`);
