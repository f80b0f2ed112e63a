import { Sku } from '../domain/Sku';
import type { StockLevelView } from './contracts';
import type { QueryDependencies } from './dependencies';
import { toStockLevelView } from './views';

/**
 * A SKU's levels with its open purchase-order request: one query on the read side when there is one,
 * otherwise two indexed reads, side by side.
 */
export class GetStockLevel {
  constructor(
    private readonly deps: Pick<
      QueryDependencies,
      'inventoryRepository' | 'purchaseOrderRepository' | 'stockLevelReader'
    >,
  ) {}

  async execute(rawSku: string): Promise<StockLevelView | null> {
    const sku = Sku.of(rawSku);
    if (this.deps.stockLevelReader) return this.deps.stockLevelReader.findStockLevel(sku);
    const [inventory, open] = await Promise.all([
      this.deps.inventoryRepository.findBySku(sku),
      this.deps.purchaseOrderRepository.findOpenBySkus([sku]),
    ]);
    return inventory ? toStockLevelView(inventory, open.get(sku.value)) : null;
  }
}
