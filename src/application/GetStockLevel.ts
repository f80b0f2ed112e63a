import { Sku } from '../domain/Sku';
import type { StockLevelView } from './contracts';
import type { QueryDependencies } from './dependencies';
import { toStockLevelView } from './views';

/** A SKU's levels with its open purchase-order request (two indexed reads, side by side). */
export class GetStockLevel {
  constructor(
    private readonly deps: Pick<QueryDependencies, 'inventoryRepository' | 'purchaseOrderRepository'>,
  ) {}

  async execute(rawSku: string): Promise<StockLevelView | null> {
    const sku = Sku.of(rawSku);
    const [inventory, open] = await Promise.all([
      this.deps.inventoryRepository.findBySku(sku),
      this.deps.purchaseOrderRepository.findOpenBySkus([sku]),
    ]);
    return inventory ? toStockLevelView(inventory, open.get(sku.value)) : null;
  }
}
