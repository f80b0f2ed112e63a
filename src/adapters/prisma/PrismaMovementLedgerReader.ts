import type {
  MovementLedgerReaderPort,
  MovementPageRequest,
} from '../../domain/ports/MovementLedgerReaderPort';
import type { Sku } from '../../domain/Sku';
import type { RecordedMovement } from '../../domain/StockMovement';
import type { Db } from './db';
import { MovementMapper } from './mappers/MovementMapper';

export class PrismaMovementLedgerReader implements MovementLedgerReaderPort {
  constructor(private readonly db: Db) {}

  /** Served by the (sku, id DESC) index. */
  async listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]> {
    const rows = await this.db.stockMovement.findMany({
      where: {
        sku: sku.value,
        ...(page.beforeId !== undefined ? { id: { lt: BigInt(page.beforeId) } } : {}),
      },
      orderBy: { id: 'desc' },
      take: page.limit,
    });
    return rows.map(MovementMapper.toDomain);
  }
}
