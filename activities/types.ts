/**
 * The contract shapes the reservation activities exchange, re-exported as types so that workflow code
 * can name them without importing anything from src/ (the layering check allows workflows to depend
 * on activities/ by type only).
 */
export type {
  ConfirmCommand,
  ConfirmOutcome,
  LineRequest,
  ReleaseCommand,
  ReleaseOutcome,
  ReleaseReason,
  ReservationLineView,
  ReservationStatus,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
} from '../src/application/contracts';
export type { ErrorCode } from '../src/domain/errors';
export type { ReleaseStockInput, ReservationActivities } from './reservation';
