import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from './generated/client';

export { PrismaClient };

export interface PrismaClientOptions {
  connectionString: string;
  /** Connections in this process's pool. */
  poolSize: number;
  /** Shows in pg_stat_activity. */
  applicationName?: string;
}

export interface PgPoolOptions extends PrismaClientOptions {
  /** An idle connection failed (server restart, network): pg drops it and the next query opens another. */
  onIdleClientError?: (error: Error) => void;
}

/** The process's node-postgres pool, for Prisma and the plain-SQL read side to share. */
export function createPgPool(options: PgPoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    application_name: options.applicationName ?? 'inventory-service',
  });
  // Without a listener an idle client's error would be an uncaught 'error' event.
  pool.on('error', (error) => options.onIdleClientError?.(error));
  return pool;
}

/**
 * Prisma 7 over node-postgres: no engine binary, one pool per process. Given a `pool`, Prisma uses it
 * and leaves ending it to its owner; given options, it makes and ends its own.
 */
export function createPrismaClient(options: PrismaClientOptions | { pool: Pool }): PrismaClient {
  const adapter =
    'pool' in options
      ? new PrismaPg(options.pool)
      : new PrismaPg({
          connectionString: options.connectionString,
          max: options.poolSize,
          application_name: options.applicationName ?? 'inventory-service',
        });
  return new PrismaClient({ adapter });
}
