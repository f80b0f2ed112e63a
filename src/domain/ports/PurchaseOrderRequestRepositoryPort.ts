import type { PurchaseOrderRequest, PurchaseOrderRequestStatus } from '../PurchaseOrderRequest';
import type { Sku } from '../Sku';

/** Keyset position in the (requestedAt DESC, id DESC) order: the last request of the previous page. */
export interface PurchaseOrderRequestPosition {
  requestedAt: Date;
  id: string;
}

export interface PurchaseOrderRequestPageRequest {
  /** null: both statuses. */
  status: PurchaseOrderRequestStatus | null;
  limit: number;
  after?: PurchaseOrderRequestPosition;
}

export interface PurchaseOrderRequestRepositoryPort {
  /**
   * The open request of each of these SKUs (at most one each), keyed by SKU value. No lock of its own:
   * callers that go on to change a request hold the SKU's stock row lock, which serialises every change
   * of that SKU's requests.
   */
  findOpenBySkus(skus: readonly Sku[]): Promise<Map<string, PurchaseOrderRequest>>;
  findById(id: string): Promise<PurchaseOrderRequest | null>;
  /**
   * Inserts new requests and updates changed ones (only if still as loaded). Throws ConcurrencyError when
   * a request changed meanwhile or a second OPEN request of a SKU would appear.
   */
  save(requests: readonly PurchaseOrderRequest[]): Promise<void>;
  /** Newest first. */
  list(page: PurchaseOrderRequestPageRequest): Promise<PurchaseOrderRequest[]>;
}
