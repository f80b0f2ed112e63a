import { LedgerReplay, type ChainBreak } from '../../domain/LedgerReplay';
import {
  RESERVATION_STATUSES,
  reservationInconsistencies,
  type ReservationStatus,
} from '../../domain/Reservation';
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

/** A SKU whose `reserved` is not the sum of its open (RESERVED) reservation lines. */
export interface ReservedMismatch {
  sku: string;
  reserved: number;
  openLineUnits: number;
  openLines: number;
}

/** A reservation whose status, release reason and line statuses no legal sequence of moves gives. */
export interface ReservationInconsistency {
  orderId: string;
  status: string;
  releaseReason: string | null;
  lines: { sku: string; status: string }[];
  problems: string[];
}

export interface LedgerAuditReport {
  skus: number;
  movements: number;
  reservations: number;
  /** Levels the ledger does not explain. */
  discrepancies: LedgerDiscrepancy[];
  reservedMismatches: ReservedMismatch[];
  reservationInconsistencies: ReservationInconsistency[];
}

export function auditIsClean(report: LedgerAuditReport): boolean {
  return (
    report.discrepancies.length === 0 &&
    report.reservedMismatches.length === 0 &&
    report.reservationInconsistencies.length === 0
  );
}

interface LevelRow {
  sku: string;
  onHand: number;
  reserved: number;
}

interface OpenLinesRow {
  sku: string;
  units: bigint;
  lines: bigint;
}

interface ReservationRow {
  orderId: string;
  status: string;
  releaseReason: string | null;
  lines: { sku: string; status: string }[];
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
 * levels; checks that each SKU's `reserved` is the sum of its open reservation lines, and that every
 * reservation's status agrees with its lines (the domain's consistency rule). Runs in one REPEATABLE
 * READ snapshot, so it can audit a live database without false alarms.
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
        const report: LedgerAuditReport = {
          skus: 0,
          movements: 0,
          reservations: 0,
          discrepancies: [],
          reservedMismatches: [],
          reservationInconsistencies: [],
        };
        let after = '';
        for (;;) {
          const levels = await tx.$queryRaw<LevelRow[]>`
            SELECT sku, on_hand AS "onHand", reserved FROM stock_levels
            WHERE sku > ${after} ORDER BY sku LIMIT ${batchSize}`;
          if (levels.length === 0) break;
          after = levels[levels.length - 1]!.sku;
          const skus = levels.map((l) => l.sku);
          const openLines = await tx.$queryRaw<OpenLinesRow[]>`
            SELECT sku, sum(quantity) AS units, count(*) AS lines FROM reservation_lines
            WHERE status = 'RESERVED' AND sku = ANY(${skus}::text[]) GROUP BY sku`;
          const open = new Map(openLines.map((o) => [o.sku, o]));
          for (const level of levels) {
            const o = open.get(level.sku);
            const units = Number(o?.units ?? 0);
            if (units !== level.reserved) {
              report.reservedMismatches.push({
                sku: level.sku,
                reserved: level.reserved,
                openLineUnits: units,
                openLines: Number(o?.lines ?? 0),
              });
            }
          }
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
        let afterOrder = '';
        for (;;) {
          const reservations = await tx.$queryRaw<ReservationRow[]>`
            SELECT r.order_id AS "orderId", r.status, r.release_reason AS "releaseReason",
                   coalesce(json_agg(json_build_object('sku', l.sku, 'status', l.status) ORDER BY l.sku)
                            FILTER (WHERE l.sku IS NOT NULL), '[]') AS lines
            FROM reservations r LEFT JOIN reservation_lines l ON l.order_id = r.order_id
            WHERE r.order_id > ${afterOrder}
            GROUP BY r.order_id ORDER BY r.order_id LIMIT ${batchSize}`;
          if (reservations.length === 0) return report;
          afterOrder = reservations[reservations.length - 1]!.orderId;
          for (const r of reservations) {
            const problems = reservationInconsistencies({
              status: reservationStatus(r.status),
              releaseReason: r.releaseReason,
              lineStatuses: r.lines.map((l) => reservationStatus(l.status)),
            });
            if (problems.length > 0) report.reservationInconsistencies.push({ ...r, problems });
          }
          report.reservations += reservations.length;
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

function reservationStatus(raw: string): ReservationStatus {
  if (!(RESERVATION_STATUSES as readonly string[]).includes(raw)) {
    throw new Error(`Unknown reservation status ${raw}`);
  }
  return raw as ReservationStatus;
}
