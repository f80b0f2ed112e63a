import { Client } from 'pg';
import { uniqueName } from './naming';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One raw connection for the length of `fn`: statements the application never runs (setup, tampering, checks). */
export async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  return withPg(requireEnv('DATABASE_URL'), fn);
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run this suite through jest so its globalSetup finds the servers`);
  return value;
}

/** A database of this test file's own, cloned from the migrated template that globalSetup built. */
export async function createTestDatabase(prefix = 'inv_t'): Promise<TestDatabase> {
  const name = uniqueName(prefix).toLowerCase();
  const template = requireEnv('TEST_TEMPLATE_DATABASE');
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: withDatabase(requireEnv('DATABASE_URL'), name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** An empty database (no migrations), for the applier's own tests. */
export async function createEmptyDatabase(prefix = 'inv_e'): Promise<TestDatabase> {
  const name = uniqueName(prefix).toLowerCase();
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: withDatabase(requireEnv('DATABASE_URL'), name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
