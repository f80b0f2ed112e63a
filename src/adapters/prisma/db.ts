import type { Prisma, PrismaClient } from './generated/client';

/** The root client (plain reads) or an interactive transaction's client: both query the same way. */
export type Db = PrismaClient | Prisma.TransactionClient;
