import {
  MOVEMENT_TYPES,
  type MovementType,
  type RecordedMovement,
  type StockMovement,
} from '../../../domain/StockMovement';
import type { StockMovement as StockMovementRow } from '../generated/client';

/** Table stock_movements; `id` is assigned by the database (bigserial). */
export type MovementRecord = StockMovementRow;
export type NewMovementRecord = Omit<MovementRecord, 'id'>;

function movementType(raw: string): MovementType {
  if (!(MOVEMENT_TYPES as readonly string[]).includes(raw)) {
    throw new Error(`Unknown movement type in the database: ${raw}`);
  }
  return raw as MovementType;
}

export const MovementMapper = {
  toDomain(row: MovementRecord): RecordedMovement {
    return {
      id: row.id.toString(),
      sku: row.sku,
      type: movementType(row.type),
      quantity: row.quantity,
      orderId: row.orderId,
      reason: row.reason,
      reference: row.reference,
      onHandAfter: row.onHandAfter,
      reservedAfter: row.reservedAfter,
      occurredAt: row.occurredAt,
    };
  },

  toPersistence(movement: StockMovement): NewMovementRecord {
    return {
      sku: movement.sku,
      type: movement.type,
      quantity: movement.quantity,
      orderId: movement.orderId,
      reason: movement.reason,
      reference: movement.reference,
      onHandAfter: movement.onHandAfter,
      reservedAfter: movement.reservedAfter,
      occurredAt: movement.occurredAt,
    };
  },
};
