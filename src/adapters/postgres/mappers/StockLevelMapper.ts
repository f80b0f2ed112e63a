import { ProductInventory } from '../../../domain/ProductInventory';
import { Sku } from '../../../domain/Sku';
import type { StockLevel as StockLevelRow } from '../generated/client';

/** The persisted fields of ProductInventory (table stock_levels); `version` is the loaded version. */
export type StockLevelRecord = StockLevelRow;

export const StockLevelMapper = {
  /** The row is the aggregate's state field for field (the SKU as a value object). */
  toDomain(row: StockLevelRecord): ProductInventory {
    return ProductInventory.restore({ ...row, sku: Sku.of(row.sku) });
  },

  toPersistence(inventory: ProductInventory): StockLevelRecord {
    return {
      sku: inventory.sku.value,
      onHand: inventory.onHand,
      reserved: inventory.reserved,
      safetyStock: inventory.safetyStock,
      reorderQuantity: inventory.reorderQuantity,
      version: inventory.version,
      createdAt: inventory.createdAt,
      updatedAt: inventory.updatedAt,
    };
  },
};
