import { join } from 'node:path';
import { Client } from 'pg';
import { applyMigrations, readMigrations } from '../../src/adapters/postgres/MigrationApplier';
import { assertReachable, dockerAvailable, LOCAL, type ServiceUrls } from './services';
import { templateDatabaseName } from './naming';

/**
 * Runs once per Jest run for the integration and e2e suites: finds the servers, then builds a migrated
 * template database that each test file clones (CREATE DATABASE ... TEMPLATE), so files stay isolated.
 * Whatever it puts in process.env reaches the test workers.
 */
export default async function globalSetup(): Promise<void> {
  const urls = await resolve();
  process.env.DATABASE_URL = urls.databaseUrl;
  process.env.AMQP_URL = urls.amqpUrl;
  process.env.AMQP_MANAGEMENT_URL = urls.amqpManagementUrl;
  process.env.TEMPORAL_ADDRESS = urls.temporalAddress;
  process.env.TEST_SERVICES_SOURCE = urls.source;
  process.env.TEST_TEMPLATE_DATABASE = await ensureTemplate(urls.databaseUrl);
}

async function resolve(): Promise<ServiceUrls> {
  const env = process.env;
  if (env.DATABASE_URL && env.AMQP_URL && env.TEMPORAL_ADDRESS) {
    const urls = {
      databaseUrl: env.DATABASE_URL,
      amqpUrl: env.AMQP_URL,
      amqpManagementUrl: env.AMQP_MANAGEMENT_URL ?? LOCAL.amqpManagementUrl,
      temporalAddress: env.TEMPORAL_ADDRESS,
    };
    await assertReachable(urls);
    return { ...urls, source: 'env' };
  }
  if (await dockerAvailable()) {
    const { startContainers } = await import('./containers');
    return { ...(await startContainers()), source: 'testcontainers' };
  }
  await assertReachable(LOCAL);
  return { ...LOCAL, source: 'local' };
}

async function ensureTemplate(databaseUrl: string): Promise<string> {
  const dir = join(__dirname, '..', '..', 'prisma', 'migrations');
  const name = templateDatabaseName(readMigrations(dir).map((m) => m.checksum));
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    // Two Jest runs at once must not both build the template.
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(databaseUrl);
      url.pathname = `/${name}`;
      await applyMigrations(url.toString(), dir);
    }
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    return name;
  } finally {
    await admin.end();
  }
}
