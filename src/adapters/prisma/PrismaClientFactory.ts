import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

export { PrismaClient };
export type { Prisma } from './generated/client';

export interface PrismaClientOptions {
  connectionString: string;
  /** Connections in this process's pool. */
  poolSize: number;
  /** Shows in pg_stat_activity. */
  applicationName?: string;
}

/** Prisma 7 over node-postgres: no engine binary, one pool per process. */
export function createPrismaClient(options: PrismaClientOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.connectionString,
    max: options.poolSize,
    application_name: options.applicationName ?? 'inventory-service',
  });
  return new PrismaClient({ adapter });
}
