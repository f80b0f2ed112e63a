import type { MovementReader } from '../../application/dependencies';
import type { MovementPageRequest } from '../../domain/ports/MovementLedgerReaderPort';
import type { Sku } from '../../domain/Sku';
import type { RecordedMovement } from '../../domain/StockMovement';
import { withinTimeout, type StatementTimeoutOptions } from './statementTimeout';
import type { PrismaClient } from './generated/client';
import { MovementMapper } from './mappers/MovementMapper';

/** GET /inventory/:sku/movements; the commands' ledger reads (replenishment references) are PgUnitOfWork's. */
export class PrismaMovementLedgerReader implements MovementReader {
  constructor(
    private readonly db: PrismaClient,
    private readonly options: StatementTimeoutOptions = {},
  ) {}

  /** Served by the (sku, id DESC) index, or (sku, type, id DESC) when filtered by type. */
  async listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]> {
    const rows = await withinTimeout(
      () =>
        this.db.stockMovement.findMany({
          where: {
            sku: sku.value,
            ...(page.beforeId !== undefined ? { id: { lt: BigInt(page.beforeId) } } : {}),
            ...(page.type !== undefined ? { type: page.type } : {}),
            ...(page.reason !== undefined ? { reason: page.reason } : {}),
          },
          orderBy: { id: 'desc' },
          take: page.limit,
        }),
      this.options.timeoutMs,
    );
    return rows.map(MovementMapper.toDomain);
  }
}
