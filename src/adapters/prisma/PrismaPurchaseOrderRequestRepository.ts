import { ConcurrencyError } from '../../domain/errors';
import type {
  PurchaseOrderRequestPageRequest,
  PurchaseOrderRequestRepositoryPort,
} from '../../domain/ports/PurchaseOrderRequestRepositoryPort';
import type { PurchaseOrderRequest } from '../../domain/PurchaseOrderRequest';
import type { Sku } from '../../domain/Sku';
import type { Db } from './db';
import { PurchaseOrderRequestMapper } from './mappers/PurchaseOrderRequestMapper';

export class PrismaPurchaseOrderRequestRepository implements PurchaseOrderRequestRepositoryPort {
  constructor(private readonly db: Db) {}

  /** Served by the partial unique index on (sku) WHERE status = 'OPEN'. */
  async findOpenBySkus(skus: readonly Sku[]): Promise<Map<string, PurchaseOrderRequest>> {
    const values = [...new Set(skus.map((s) => s.value))];
    if (values.length === 0) return new Map();
    const rows = await this.db.purchaseOrderRequest.findMany({
      where:
        values.length === 1 ? { sku: values[0], status: 'OPEN' } : { sku: { in: values }, status: 'OPEN' },
    });
    return new Map(rows.map((row) => [row.sku, PurchaseOrderRequestMapper.toDomain(row)]));
  }

  async findById(id: string): Promise<PurchaseOrderRequest | null> {
    const row = await this.db.purchaseOrderRequest.findUnique({ where: { id } });
    return row ? PurchaseOrderRequestMapper.toDomain(row) : null;
  }

  /**
   * New requests are inserted with ON CONFLICT DO NOTHING, so a second OPEN request of a SKU (the
   * partial unique index) shows as a missing row and becomes a ConcurrencyError: the unit of work then
   * reruns the command, which finds the request that won. Changed requests are updated only while still
   * OPEN with the reminder count they were loaded with.
   */
  async save(requests: readonly PurchaseOrderRequest[]): Promise<void> {
    const dirty = requests.filter((r) => r.hasChanges);
    if (dirty.length === 0) return;
    const created = dirty.filter((r) => r.isNew).map(PurchaseOrderRequestMapper.toPersistence);
    const updated = dirty.filter((r) => !r.isNew);
    const iso = (d: Date) => d.toISOString();

    let inserted = 0;
    let changed = 0;
    if (created.length > 0) {
      inserted = await this.db.$executeRaw`
          INSERT INTO purchase_order_requests
            (id, sku, status, quantity, available_at_request, safety_stock, reorder_quantity, requested_at,
             closed_at, reminders_sent)
          SELECT v.id, v.sku, v.status, v.quantity, v.available_at_request, v.safety_stock, v.reorder_quantity,
                 v.requested_at, v.closed_at, v.reminders_sent
          FROM unnest(
            ${created.map((r) => r.id)}::uuid[], ${created.map((r) => r.sku)}::text[],
            ${created.map((r) => r.status)}::text[], ${created.map((r) => r.quantity)}::int[],
            ${created.map((r) => r.availableAtRequest)}::int[], ${created.map((r) => r.safetyStock)}::int[],
            ${created.map((r) => r.reorderQuantity)}::int[], ${created.map((r) => iso(r.requestedAt))}::timestamptz[],
            ${created.map((r) => (r.closedAt ? iso(r.closedAt) : null))}::timestamptz[],
            ${created.map((r) => r.remindersSent)}::int[]
          ) AS v(id, sku, status, quantity, available_at_request, safety_stock, reorder_quantity, requested_at,
                 closed_at, reminders_sent)
          ON CONFLICT DO NOTHING`;
    }
    if (updated.length > 0) {
      const rows = updated.map((r) => ({ record: PurchaseOrderRequestMapper.toPersistence(r), loaded: r }));
      changed = await this.db.$executeRaw`
          UPDATE purchase_order_requests AS p
          SET status = v.status, closed_at = v.closed_at, reminders_sent = v.reminders_sent
          FROM unnest(
            ${rows.map((r) => r.record.id)}::uuid[], ${rows.map((r) => r.record.status)}::text[],
            ${rows.map((r) => (r.record.closedAt ? iso(r.record.closedAt) : null))}::timestamptz[],
            ${rows.map((r) => r.record.remindersSent)}::int[],
            ${rows.map((r) => r.loaded.loadedRemindersSent)}::int[]
          ) AS v(id, status, closed_at, reminders_sent, loaded_reminders_sent)
          WHERE p.id = v.id AND p.status = 'OPEN' AND p.reminders_sent = v.loaded_reminders_sent`;
    }
    if (inserted !== created.length || changed !== updated.length) {
      throw new ConcurrencyError('Purchase-order requests changed or were opened concurrently', {
        skus: dirty.map((r) => r.sku.value),
      });
    }
  }

  /** Keyset pagination on (requested_at DESC, id DESC), served by the (status, requested_at, id) index. */
  async list(page: PurchaseOrderRequestPageRequest): Promise<PurchaseOrderRequest[]> {
    const rows = await this.db.purchaseOrderRequest.findMany({
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
    });
    return rows.map(PurchaseOrderRequestMapper.toDomain);
  }
}
