import { LedgerReplay, type ChainBreak } from '../../domain/LedgerReplay';
import { MOVEMENT_TYPES, type MovementType } from '../../domain/StockMovement';
import type { PrismaClient } from './generated/client';

export interface LedgerDiscrepancy {
  sku: string;
  onHand: number;
  reserved: number;
  ledgerOnHand: number;
  ledgerReserved: number;
  movements: number;
  /** The first movement whose recorded levels disagree with the replay before it, if any. */
  chainBreak: ChainBreak | null;
}

export interface LedgerAuditReport {
  skus: number;
  movements: number;
  discrepancies: LedgerDiscrepancy[];
}

interface LevelRow {
  sku: string;
  onHand: number;
  reserved: number;
}

interface MovementRow {
  id: bigint;
  sku: string;
  type: string;
  quantity: number;
  onHandAfter: number;
  reservedAfter: number;
}

/**
 * Replays every SKU's movements (the domain's replay rule) and compares the result with its stock
 * levels. Runs in one REPEATABLE READ snapshot, so it can audit a live database without false alarms.
 */
export class PrismaLedgerAuditor {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: { batchSize?: number; timeoutMs?: number } = {},
  ) {}

  audit(): Promise<LedgerAuditReport> {
    const batchSize = this.options.batchSize ?? 200;
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SET TRANSACTION READ ONLY`;
        const report: LedgerAuditReport = { skus: 0, movements: 0, discrepancies: [] };
        let after = '';
        for (;;) {
          const levels = await tx.$queryRaw<LevelRow[]>`
            SELECT sku, on_hand AS "onHand", reserved FROM stock_levels
            WHERE sku > ${after} ORDER BY sku LIMIT ${batchSize}`;
          if (levels.length === 0) return report;
          after = levels[levels.length - 1]!.sku;
          const movements = await tx.$queryRaw<MovementRow[]>`
            SELECT id, sku, type, quantity, on_hand_after AS "onHandAfter", reserved_after AS "reservedAfter"
            FROM stock_movements WHERE sku = ANY(${levels.map((l) => l.sku)}::text[])
            ORDER BY sku, id`;
          const replays = new Map<string, LedgerReplay>();
          for (const m of movements) {
            let replay = replays.get(m.sku);
            if (!replay) replays.set(m.sku, (replay = new LedgerReplay()));
            replay.apply({ ...m, id: m.id.toString(), type: movementType(m.type) });
          }
          for (const level of levels) {
            const replay = replays.get(level.sku) ?? new LedgerReplay();
            if (!replay.explains(level)) {
              report.discrepancies.push({
                sku: level.sku,
                onHand: level.onHand,
                reserved: level.reserved,
                ledgerOnHand: replay.levels.onHand,
                ledgerReserved: replay.levels.reserved,
                movements: replay.movementCount,
                chainBreak: replay.chainBreak,
              });
            }
          }
          report.skus += levels.length;
          report.movements += movements.length;
        }
      },
      { isolationLevel: 'RepeatableRead', timeout: this.options.timeoutMs ?? 600_000, maxWait: 10_000 },
    );
  }
}

function movementType(raw: string): MovementType {
  if (!(MOVEMENT_TYPES as readonly string[]).includes(raw)) throw new Error(`Unknown movement type ${raw}`);
  return raw as MovementType;
}
