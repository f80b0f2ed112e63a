import { ProductInventory } from '../../../domain/ProductInventory';
import { Sku } from '../../../domain/Sku';
import type { StockLevel as StockLevelRow } from '../generated/client';

/** The persisted fields of ProductInventory (table stock_levels); `version` is the loaded version. */
export type StockLevelRecord = StockLevelRow;

export const StockLevelMapper = {
  toDomain(row: StockLevelRecord): ProductInventory {
    return ProductInventory.restore({
      sku: Sku.of(row.sku),
      onHand: row.onHand,
      reserved: row.reserved,
      safetyStock: row.safetyStock,
      reorderQuantity: row.reorderQuantity,
      version: row.version,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    });
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
