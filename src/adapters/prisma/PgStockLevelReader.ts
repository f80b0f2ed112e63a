import type { Pool } from 'pg';
import type { StockLevelView } from '../../application/contracts';
import type { StockLevelReaderPort } from '../../application/ports';
import type { Sku } from '../../domain/Sku';

/*
 * One primary-key lookup joined to the partial unique index on open requests (at most one per SKU, so
 * at most one row). Plain node-postgres on the pool Prisma uses: the read is on the hot path and the
 * ORM's query building and result mapping cost several times the query itself.
 */
const SQL = `
  SELECT s.sku, s.on_hand, s.reserved, s.safety_stock, s.reorder_quantity, s.updated_at,
         p.id AS po_id, p.quantity AS po_quantity, p.available_at_request AS po_available,
         p.safety_stock AS po_safety_stock, p.requested_at AS po_requested_at
  FROM stock_levels s
  LEFT JOIN purchase_order_requests p ON p.sku = s.sku AND p.status = 'OPEN'
  WHERE s.sku = $1`;

interface Row {
  sku: string;
  on_hand: number;
  reserved: number;
  safety_stock: number;
  reorder_quantity: number;
  updated_at: Date;
  po_id: string | null;
  po_quantity: number | null;
  po_available: number | null;
  po_safety_stock: number | null;
  po_requested_at: Date | null;
}

/** StockLevelView straight from SQL, field for field what toStockLevelView builds from the aggregates. */
export class PgStockLevelReader implements StockLevelReaderPort {
  constructor(private readonly pool: Pick<Pool, 'query'>) {}

  async findStockLevel(sku: Sku): Promise<StockLevelView | null> {
    const { rows } = await this.pool.query<Row>(SQL, [sku.value]);
    const row = rows[0];
    if (!row) return null;
    return {
      sku: row.sku,
      onHand: row.on_hand,
      reserved: row.reserved,
      available: row.on_hand - row.reserved,
      safetyStock: row.safety_stock,
      reorderQuantity: row.reorder_quantity,
      updatedAt: row.updated_at.toISOString(),
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
}
