import { ConcurrencyError } from '../../domain/errors';
import type { InventoryRepositoryPort } from '../../domain/ports/InventoryRepositoryPort';
import type { ProductInventory } from '../../domain/ProductInventory';
import type { Sku } from '../../domain/Sku';
import type { Db } from './db';
import { MovementMapper } from './mappers/MovementMapper';
import { StockLevelMapper, type StockLevelRecord } from './mappers/StockLevelMapper';

export class PrismaInventoryRepository implements InventoryRepositoryPort {
  constructor(private readonly db: Db) {}

  async findBySku(sku: Sku): Promise<ProductInventory | null> {
    const row = await this.db.stockLevel.findUnique({ where: { sku: sku.value } });
    return row ? StockLevelMapper.toDomain(row) : null;
  }

  /*
   * One statement locks every row, in SKU order: the LockRows step runs above the sort, so two
   * transactions wanting overlapping SKUs queue on the first one they share instead of each holding
   * one the other needs. NO KEY UPDATE, not UPDATE: the key never changes, and foreign-key checks from
   * other transactions (reservation lines, movements of other SKUs) need not wait for us.
   */
  async lockForUpdate(skus: readonly Sku[]): Promise<Map<string, ProductInventory>> {
    const values = [...new Set(skus.map((s) => s.value))];
    if (values.length === 0) return new Map();
    const rows = await this.db.$queryRaw<StockLevelRecord[]>`
      SELECT sku, on_hand AS "onHand", reserved, safety_stock AS "safetyStock",
             reorder_quantity AS "reorderQuantity", version, created_at AS "createdAt", updated_at AS "updatedAt"
      FROM stock_levels
      WHERE sku = ANY(${values}::text[])
      ORDER BY sku
      FOR NO KEY UPDATE`;
    return new Map(rows.map((row) => [row.sku, StockLevelMapper.toDomain(row)]));
  }

  /** Inserts, updates and ledger rows in one round trip. */
  async save(inventories: readonly ProductInventory[]): Promise<void> {
    const dirty = inventories.filter((i) => i.hasChanges);
    if (dirty.length === 0) return;
    const created = dirty.filter((i) => i.isNew).map(StockLevelMapper.toPersistence);
    const updated = dirty.filter((i) => !i.isNew).map(StockLevelMapper.toPersistence);
    const movements = dirty.flatMap((i) => i.pullMovements()).map(MovementMapper.toPersistence);
    const col = <T, V>(rows: readonly T[], pick: (r: T) => V): V[] => rows.map(pick);
    const iso = (d: Date) => d.toISOString();

    const [result] = await this.db.$queryRaw<{ inserted: number; updated: number }[]>`
      WITH inserted AS (
        INSERT INTO stock_levels
          (sku, on_hand, reserved, safety_stock, reorder_quantity, version, created_at, updated_at)
        SELECT v.sku, v.on_hand, v.reserved, v.safety_stock, v.reorder_quantity, 0, v.created_at, v.updated_at
        FROM unnest(
          ${col(created, (r) => r.sku)}::text[], ${col(created, (r) => r.onHand)}::int[],
          ${col(created, (r) => r.reserved)}::int[], ${col(created, (r) => r.safetyStock)}::int[],
          ${col(created, (r) => r.reorderQuantity)}::int[],
          ${col(created, (r) => iso(r.createdAt))}::timestamptz[],
          ${col(created, (r) => iso(r.updatedAt))}::timestamptz[]
        ) AS v(sku, on_hand, reserved, safety_stock, reorder_quantity, created_at, updated_at)
        ON CONFLICT (sku) DO NOTHING
        RETURNING 1
      ), updated AS (
        UPDATE stock_levels AS s
        SET on_hand = v.on_hand, reserved = v.reserved, safety_stock = v.safety_stock,
            reorder_quantity = v.reorder_quantity, updated_at = v.updated_at, version = s.version + 1
        FROM unnest(
          ${col(updated, (r) => r.sku)}::text[], ${col(updated, (r) => r.onHand)}::int[],
          ${col(updated, (r) => r.reserved)}::int[], ${col(updated, (r) => r.safetyStock)}::int[],
          ${col(updated, (r) => r.reorderQuantity)}::int[], ${col(updated, (r) => r.version)}::int[],
          ${col(updated, (r) => iso(r.updatedAt))}::timestamptz[]
        ) AS v(sku, on_hand, reserved, safety_stock, reorder_quantity, version, updated_at)
        WHERE s.sku = v.sku AND s.version = v.version
        RETURNING 1
      ), appended AS (
        INSERT INTO stock_movements
          (sku, type, quantity, order_id, reason, reference, on_hand_after, reserved_after, occurred_at)
        SELECT m.sku, m.type, m.quantity, m.order_id, m.reason, m.reference, m.on_hand_after,
               m.reserved_after, m.occurred_at
        FROM unnest(
          ${col(movements, (m) => m.sku)}::text[], ${col(movements, (m) => m.type)}::text[],
          ${col(movements, (m) => m.quantity)}::int[], ${col(movements, (m) => m.orderId)}::text[],
          ${col(movements, (m) => m.reason)}::text[], ${col(movements, (m) => m.reference)}::text[],
          ${col(movements, (m) => m.onHandAfter)}::int[], ${col(movements, (m) => m.reservedAfter)}::int[],
          ${col(movements, (m) => iso(m.occurredAt))}::timestamptz[]
        ) WITH ORDINALITY
          AS m(sku, type, quantity, order_id, reason, reference, on_hand_after, reserved_after, occurred_at, ord)
        ORDER BY m.ord
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM updated)::int AS updated`;

    if (result.inserted !== created.length || result.updated !== updated.length) {
      throw new ConcurrencyError('Stock levels changed or were created concurrently', {
        skus: dirty.map((i) => i.sku.value),
      });
    }
  }
}
