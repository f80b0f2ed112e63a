import type { ProductInventory } from '../ProductInventory';
import type { Sku } from '../Sku';

export interface InventoryRepositoryPort {
  /** A plain read: no lock, for queries. */
  findBySku(sku: Sku): Promise<ProductInventory | null>;
  /**
   * Reads and locks these SKUs' rows until the transaction ends, always in the same (sorted) order so
   * that overlapping multi-line commands cannot deadlock. Unknown SKUs are absent from the map, which
   * is keyed by SKU value.
   */
  lockForUpdate(skus: readonly Sku[]): Promise<Map<string, ProductInventory>>;
  /**
   * Inserts new aggregates, updates changed ones (optimistically, on the version they were loaded at)
   * and appends their pending movements to the ledger, all at once. Throws ConcurrencyError when a row
   * changed or appeared meanwhile.
   */
  save(inventories: readonly ProductInventory[]): Promise<void>;
}
