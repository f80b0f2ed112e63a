import type { Pool } from 'pg';
import type { StockLevelView } from '../../application/contracts';
import type { StockLevelPageRequest, StockLevelReaderPort } from '../../application/ports';
import type { Sku } from '../../domain/Sku';
import { boundedQuery, type StatementTimeoutOptions } from './statementTimeout';
import { NO_PENDING_DECISION } from './reservationSql';

/*
 * Every read of this class is this one SELECT with its own WHERE: a primary-key lookup (or a set of
 * them) joined to the partial unique index on open requests (at most one per SKU, so at most one row
 * per SKU). How the levels are computed lives here only, so it serves the single read, the batch and
 * the below-safety listing at once. Plain node-postgres on the pool Prisma uses: the read is on the
 * hot path and the ORM's query building and result mapping cost several times the query itself.
 *
 * Units of lines past their reservation's expiry count as available even before anything released
 * them (no worker running, say): one probe of the partial index on open lines by (sku, expires_at),
 * which holds no expired entry in the common case. The next reserve short of them releases them.
 */
const levelsWhere = (where: string) => `
  SELECT l.* FROM (
    SELECT s.sku, s.on_hand, s.reserved - COALESCE(x.expired, 0) AS reserved,
           s.on_hand - (s.reserved - COALESCE(x.expired, 0)) AS available, s.safety_stock,
           s.reorder_quantity, s.version, s.updated_at,
           p.id AS po_id, p.quantity AS po_quantity, p.available_at_request AS po_available,
           p.safety_stock AS po_safety_stock, p.requested_at AS po_requested_at
    FROM stock_levels s
    LEFT JOIN LATERAL (
      SELECT sum(rl.quantity)::int AS expired FROM reservation_lines rl
      WHERE rl.sku = s.sku AND rl.status = 'RESERVED' AND rl.expires_at <= now()
        AND ${NO_PENDING_DECISION('rl.order_id')}
    ) x ON true
    LEFT JOIN purchase_order_requests p ON p.sku = s.sku AND p.status = 'OPEN'
  ) l
  ${where}`;

const SINGLE_SQL = levelsWhere('WHERE l.sku = $1');
const BATCH_SQL = levelsWhere('WHERE l.sku = ANY($1::text[])');
/* Keyset on the primary key; the filter on `available` needs every row's levels, so this scans. */
const BELOW_SAFETY_SQL = levelsWhere(
  'WHERE l.available < l.safety_stock AND ($1::text IS NULL OR l.sku > $1::text) ORDER BY l.sku LIMIT $2',
);

interface Row {
  sku: string;
  on_hand: number;
  reserved: number;
  available: number;
  safety_stock: number;
  reorder_quantity: number;
  version: number;
  updated_at: Date;
  po_id: string | null;
  po_quantity: number | null;
  po_available: number | null;
  po_safety_stock: number | null;
  po_requested_at: Date | null;
}

function toView(row: Row): StockLevelView {
  return {
    sku: row.sku,
    onHand: row.on_hand,
    reserved: row.reserved,
    available: row.available,
    safetyStock: row.safety_stock,
    reorderQuantity: row.reorder_quantity,
    updatedAt: row.updated_at.toISOString(),
    version: row.version,
    openPurchaseOrder:
      row.po_id === null
        ? null
        : {
            id: row.po_id,
            quantity: row.po_quantity!,
            available: row.po_available!,
            safetyStock: row.po_safety_stock!,
            requestedAt: row.po_requested_at!.toISOString(),
          },
  };
}

/** StockLevelView straight from SQL, field for field what toStockLevelView builds from the aggregates. */
export class PgStockLevelReader implements StockLevelReaderPort {
  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly options: StatementTimeoutOptions = {},
  ) {}

  async findStockLevel(sku: Sku): Promise<StockLevelView | null> {
    const rows = await this.read(SINGLE_SQL, [sku.value]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** One round trip for the whole batch; unknown SKUs are simply absent. */
  async findStockLevels(skus: readonly Sku[]): Promise<StockLevelView[]> {
    if (skus.length === 0) return [];
    const rows = await this.read(BATCH_SQL, [[...new Set(skus.map((s) => s.value))]]);
    return rows.map(toView);
  }

  async listBelowSafetyStock(page: StockLevelPageRequest): Promise<StockLevelView[]> {
    const rows = await this.read(BELOW_SAFETY_SQL, [page.afterSku ?? null, page.limit]);
    return rows.map(toView);
  }

  private async read(text: string, values: unknown[]): Promise<Row[]> {
    return (await boundedQuery<Row>(this.pool, text, values, this.options.timeoutMs)).rows;
  }
}
