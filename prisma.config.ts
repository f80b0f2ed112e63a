import { defineConfig } from 'prisma/config';

// Prisma 7 reads the connection from here, not from schema.prisma. Migrations keep Prisma Migrate's
// layout; scripts/migrate.ts applies them offline (no schema engine on this machine).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://inventory:inventory@127.0.0.1:5432/inventory',
  },
});
