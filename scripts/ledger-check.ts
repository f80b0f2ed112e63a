import { auditIsClean, PrismaLedgerAuditor } from '../src/adapters/postgres/PrismaLedgerAuditor';
import { createPrismaClient } from '../src/adapters/postgres/PrismaClientFactory';
import { loadConfig } from '../src/config';
import { loadEnvFile } from '../src/config/envFile';

// npm run ledger:check — replays every SKU's movements and names each SKU whose levels the ledger does
// not explain or whose reserved units are not its open reservation lines, and each reservation whose
// status disagrees with its lines. Exit 0 when all agree, 1 when any disagrees, 2 when the check failed.
async function main(): Promise<number> {
  loadEnvFile();
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
    for (const m of report.reservedMismatches) {
      console.error(
        `RESERVED ${m.sku}: reserved ${m.reserved}, but its ${m.openLines} open reservation line(s) hold ` +
          `${m.openLineUnits}`,
      );
    }
    for (const r of report.reservationInconsistencies) {
      const lines = r.lines.map((l) => `${l.sku} ${l.status}`).join(', ');
      console.error(
        `RESERVATION ${r.orderId} (${r.status}${r.releaseReason ? ` ${r.releaseReason}` : ''}; lines: ` +
          `${lines || 'none'}): it ${r.problems.join('; ')}`,
      );
    }
    const summary =
      `${report.skus} SKU(s), ${report.movements} movement(s) replayed, ` +
      `${report.reservations} reservation(s) checked`;
    if (!auditIsClean(report)) {
      console.error(
        `ledger check FAILED: ${report.discrepancies.length} SKU(s) disagree with their ledger, ` +
          `${report.reservedMismatches.length} SKU(s) with reserved other than their open lines, ` +
          `${report.reservationInconsistencies.length} reservation(s) inconsistent with their lines ` +
          `(${summary})`,
      );
      return 1;
    }
    console.log(
      `ledger check OK: ${summary}, every level explained by its ledger and its open reservation lines`,
    );
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
