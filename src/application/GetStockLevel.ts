import { Sku } from '../domain/Sku';
import type { StockLevelView } from './contracts';
import type { QueryDependencies } from './dependencies';
import { toStockLevelView } from './views';

export class GetStockLevel {
  constructor(private readonly deps: Pick<QueryDependencies, 'inventoryRepository'>) {}

  async execute(rawSku: string): Promise<StockLevelView | null> {
    const inventory = await this.deps.inventoryRepository.findBySku(Sku.of(rawSku));
    return inventory ? toStockLevelView(inventory) : null;
  }
}
