import { PrismaLedgerAuditor } from '../src/adapters/prisma/PrismaLedgerAuditor';
import { createPrismaClient } from '../src/adapters/prisma/PrismaClientFactory';
import { loadConfig } from '../src/config';

// npm run ledger:check — replays every SKU's movements and names each SKU whose levels the ledger does
// not explain. Exit 0 when all agree, 1 when any disagrees, 2 when the check itself failed.
async function main(): Promise<number> {
  const config = loadConfig();
  const prisma = createPrismaClient({
    connectionString: config.DATABASE_URL,
    poolSize: 2,
    applicationName: 'inventory-ledger-check',
  });
  try {
    const report = await new PrismaLedgerAuditor(prisma).audit();
    for (const d of report.discrepancies) {
      const chain = d.chainBreak
        ? `; movement ${d.chainBreak.movementId} records on hand ${d.chainBreak.recorded.onHand} / reserved ` +
          `${d.chainBreak.recorded.reserved} where the replay gives ${d.chainBreak.replayed.onHand} / ` +
          `${d.chainBreak.replayed.reserved}`
        : '';
      console.error(
        `MISMATCH ${d.sku}: levels on hand ${d.onHand} / reserved ${d.reserved}, ledger (${d.movements} ` +
          `movements) on hand ${d.ledgerOnHand} / reserved ${d.ledgerReserved}${chain}`,
      );
    }
    const summary = `${report.skus} SKU(s), ${report.movements} movement(s) replayed`;
    if (report.discrepancies.length > 0) {
      console.error(
        `ledger check FAILED: ${report.discrepancies.length} SKU(s) disagree with their ledger (${summary})`,
      );
      return 1;
    }
    console.log(`ledger check OK: ${summary}, every level explained by its ledger`);
    return 0;
  } finally {
    await prisma.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`ledger check could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
