import type { ProductInventory } from '../../domain/ProductInventory';
import type { Sku } from '../../domain/Sku';
import type { InventoryReader } from '../../application/dependencies';
import { withinTimeout, type StatementTimeoutOptions } from './statementTimeout';
import type { PrismaClient } from './generated/client';
import { StockLevelMapper } from './mappers/StockLevelMapper';

/** The queries' plain read of a SKU (no lock); commands read and write through PgUnitOfWork. */
export class PrismaInventoryRepository implements InventoryReader {
  constructor(
    private readonly db: PrismaClient,
    private readonly options: StatementTimeoutOptions = {},
  ) {}

  async findBySku(sku: Sku): Promise<ProductInventory | null> {
    const row = await withinTimeout(
      () => this.db.stockLevel.findUnique({ where: { sku: sku.value } }),
      this.options.timeoutMs,
    );
    return row ? StockLevelMapper.toDomain(row) : null;
  }
}
