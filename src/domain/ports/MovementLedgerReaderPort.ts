import type { Sku } from '../Sku';
import type { MovementType, RecordedMovement } from '../StockMovement';

export interface MovementPageRequest {
  limit: number;
  /** Only movements older than this id (the last one of the previous page). */
  beforeId?: string;
  /** Only movements of this type. */
  type?: MovementType;
  /** Only movements with this reason. */
  reason?: string;
}

/** Reads the append-only ledger (appending is the inventory repository's job). */
export interface MovementLedgerReaderPort {
  /** A SKU's movements, newest first. */
  listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]>;
  /** The SKU's REPLENISH movement with this reference, if any (references are unique per SKU). */
  findReplenishment(sku: Sku, reference: string): Promise<RecordedMovement | null>;
}
