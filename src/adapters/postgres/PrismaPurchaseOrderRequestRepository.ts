import type { PurchaseOrderReader } from '../../application/dependencies';
import type { PurchaseOrderRequestPageRequest } from '../../domain/ports/PurchaseOrderRequestRepositoryPort';
import type { PurchaseOrderRequest } from '../../domain/PurchaseOrderRequest';
import type { Sku } from '../../domain/Sku';
import { withinTimeout, type StatementTimeoutOptions } from './statementTimeout';
import type { PrismaClient } from './generated/client';
import { PurchaseOrderRequestMapper } from './mappers/PurchaseOrderRequestMapper';

/** The queries' reads of purchase-order requests; commands read and write them through PgUnitOfWork. */
export class PrismaPurchaseOrderRequestRepository implements PurchaseOrderReader {
  constructor(
    private readonly db: PrismaClient,
    private readonly options: StatementTimeoutOptions = {},
  ) {}

  /** Served by the partial unique index on (sku) WHERE status = 'OPEN'. */
  async findOpenBySkus(skus: readonly Sku[]): Promise<Map<string, PurchaseOrderRequest>> {
    const values = [...new Set(skus.map((s) => s.value))];
    if (values.length === 0) return new Map();
    const rows = await withinTimeout(
      () =>
        this.db.purchaseOrderRequest.findMany({
          where:
            values.length === 1
              ? { sku: values[0], status: 'OPEN' }
              : { sku: { in: values }, status: 'OPEN' },
        }),
      this.options.timeoutMs,
    );
    return new Map(rows.map((row) => [row.sku, PurchaseOrderRequestMapper.toDomain(row)]));
  }

  /** Keyset pagination on (requested_at DESC, id DESC), served by the (status, requested_at, id) index. */
  async list(page: PurchaseOrderRequestPageRequest): Promise<PurchaseOrderRequest[]> {
    const rows = await withinTimeout(
      () =>
        this.db.purchaseOrderRequest.findMany({
          where: {
            ...(page.status ? { status: page.status } : {}),
            ...(page.after
              ? {
                  OR: [
                    { requestedAt: { lt: page.after.requestedAt } },
                    { requestedAt: page.after.requestedAt, id: { lt: page.after.id } },
                  ],
                }
              : {}),
          },
          orderBy: [{ requestedAt: 'desc' }, { id: 'desc' }],
          take: page.limit,
        }),
      this.options.timeoutMs,
    );
    return rows.map(PurchaseOrderRequestMapper.toDomain);
  }
}
