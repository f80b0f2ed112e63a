import { ErrorCodes, ValidationError } from '../domain/errors';
import type { PurchaseOrderRequestPosition } from '../domain/ports/PurchaseOrderRequestRepositoryPort';
import type { PurchaseOrderRequestStatus } from '../domain/PurchaseOrderRequest';
import type { ListPurchaseOrdersQuery, PurchaseOrderPage } from './contracts';
import type { QueryDependencies } from './dependencies';
import { decodeOpaqueCursor, encodeOpaqueCursor, parseLimit, type PurchaseOrderFilter } from './input';
import { toPurchaseOrderView } from './views';

const STATUS_FILTERS: Record<PurchaseOrderFilter, PurchaseOrderRequestStatus | null> = {
  open: 'OPEN',
  closed: 'CLOSED',
  all: null,
};

const CURSOR_PREFIX = 'po1:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EPOCH_MS = /^[0-9]{1,15}$/;

/** Opaque to clients: the (requestedAt, id) of the last request of the previous page. */
export function encodePurchaseOrderCursor(position: PurchaseOrderRequestPosition): string {
  return encodeOpaqueCursor(CURSOR_PREFIX, `${position.requestedAt.getTime()}:${position.id}`);
}

export function decodePurchaseOrderCursor(raw: unknown): PurchaseOrderRequestPosition | undefined {
  return decodeOpaqueCursor(raw, CURSOR_PREFIX, 128, (payload) => {
    const [ms, id, ...rest] = payload.split(':');
    if (rest.length > 0 || !ms || !id || !EPOCH_MS.test(ms) || !UUID.test(id)) return undefined;
    const requestedAt = new Date(Number(ms));
    return Number.isNaN(requestedAt.getTime()) ? undefined : { requestedAt, id };
  });
}

/** Purchase-order requests for operators, newest first, a page at a time. */
export class ListPurchaseOrders {
  constructor(private readonly deps: Pick<QueryDependencies, 'purchaseOrderRepository'>) {}

  async execute(query: ListPurchaseOrdersQuery): Promise<PurchaseOrderPage> {
    const filter = query.status ?? 'open';
    if (!Object.prototype.hasOwnProperty.call(STATUS_FILTERS, filter)) {
      throw new ValidationError(ErrorCodes.INVALID_STATUS_FILTER, 'status must be open, closed or all', {
        status: filter,
      });
    }
    const limit = parseLimit(query.limit);
    const after = decodePurchaseOrderCursor(query.cursor);
    // One more than asked tells whether another page exists.
    const rows = await this.deps.purchaseOrderRepository.list({
      status: STATUS_FILTERS[filter],
      limit: limit + 1,
      after,
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toPurchaseOrderView),
      nextCursor:
        rows.length > limit && last
          ? encodePurchaseOrderCursor({ requestedAt: last.requestedAt, id: last.id })
          : null,
    };
  }
}
