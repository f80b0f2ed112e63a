import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ErrorCode,
  ReleaseOutcome,
  ReleaseReason,
  ReservationStatus,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
} from '../activities/types';

/**
 * Everything the client side and the workflow share: names, ids, message definitions, search
 * attributes. Importable from both sides (no workflow-only APIs are called at module load).
 */

export const RESERVATION_WORKFLOW_TYPE = 'reservationWorkflow';

/** One workflow per order; the id is deterministic so that every caller finds the same execution. */
export function reservationWorkflowId(orderId: string): string {
  return `reservation-${orderId}`;
}

/** Where an activity runs: inside the workflow task (local) or as its own task on the queue (regular). */
export type ActivityPlacement = 'local' | 'regular';

export interface ReservationWorkflowInput {
  orderId: string;
  /** TTL used for the safety deadline when a reserve fails before the reservation's expiry is known. */
  defaultTtlSeconds?: number;
  /**
   * interactive: the steps a caller waits for (reserve, the release update);
   * background: confirm, cancel, the release signal and expiry. Defaults: see docs/temporal.md.
   */
  activities?: { interactive?: ActivityPlacement; background?: ActivityPlacement };
}

/** PENDING before the first reserve's outcome; REJECTED when the order's reserve reserved nothing. */
export type ReservationPhase = 'PENDING' | 'REJECTED' | 'RESERVED' | 'CONFIRMED' | 'RELEASED';

export type PendingAction = { kind: 'confirm' } | { kind: 'cancel'; reason?: string } | { kind: 'release' };

export interface ReservationWorkflowStatus {
  orderId: string;
  phase: ReservationPhase;
  reservation: ReservationView | null;
  /** The TTL deadline the workflow waits for (ISO-8601), null before one is known. */
  expiresAt: string | null;
  /** Confirm/cancel/release received and not yet applied. */
  pendingAction: PendingAction | null;
  /** A reserve attempt failed without an answer: the database may hold stock the workflow has not seen. */
  uncertain: boolean;
}

export interface ReservationWorkflowResult {
  orderId: string;
  phase: ReservationPhase;
  releaseReason?: ReleaseReason;
  reservation: ReservationView | null;
}

/** The HTTP API's release of one SKU line (or of all lines when `sku` is absent). */
export interface ReleaseLineRequest {
  sku?: string;
  reason: 'released';
  /** ISO-8601, the caller's: past it the release activity refuses the line and nothing is released. */
  deadline?: string;
}

export interface CancelRequest {
  reason?: string;
}

/**
 * A request recorded in Postgres (workflow_requests) and delivered by the dispatcher, with the
 * reservation as the database had it at delivery: `start` (RESERVE_MODE=db: a reserve created the
 * reservation or added lines; also how a workflow starts late, or again), `extend` (a new expiresAt),
 * or order-service's / the caller's decision. The database's expiresAt is the TTL, whatever the start
 * time of the workflow.
 */
export interface WorkflowRequestSignal {
  kind: 'start' | 'confirm' | 'cancel' | 'release' | 'extend';
  /** null when the order has no reservation (nothing to settle). */
  status: ReservationStatus | null;
  expiresAt: string | null;
  skus: string[];
  reason?: string;
}

/** Starts or joins the order's reservation; returns the reserve step's outcome synchronously. */
export const reserveUpdate = defineUpdate<ReserveOutcome, [ReserveCommand]>('reserve');
/** Synchronous release of one line for the HTTP API; other lines stay reserved. */
export const releaseUpdate = defineUpdate<ReleaseOutcome, [ReleaseLineRequest]>('release');
/** order-service confirmed the order: commit every reserved line. */
export const confirmSignal = defineSignal('confirm');
/** order-service cancelled the order: release every line with reason `cancelled`. */
export const cancelSignal = defineSignal<[CancelRequest?]>('cancel');
/** Release every line with reason `released`. */
export const releaseSignal = defineSignal('release');
/** Every request of the dispatcher (see WorkflowRequestSignal); delivered with signalWithStart. */
export const requestSignal = defineSignal<[WorkflowRequestSignal]>('request');
export const statusQuery = defineQuery<ReservationWorkflowStatus>('status');

/**
 * Typed search-attribute keys (the shape of @temporalio/common's SearchAttributeKey, spelled out so
 * the workflow bundle does not depend on that package). Registered from temporal/search-attributes.txt.
 */
export const SearchAttributeKeys = {
  orderId: { name: 'OrderId', type: 'KEYWORD' },
  skus: { name: 'Skus', type: 'KEYWORD_LIST' },
  status: { name: 'ReservationStatus', type: 'KEYWORD' },
  expiresAt: { name: 'ReservationExpiresAt', type: 'DATETIME' },
} as const;

/** Name → type, as `temporal operator search-attribute create` and the operator service take them. */
export const RESERVATION_SEARCH_ATTRIBUTES = {
  OrderId: 'Keyword',
  Skus: 'KeywordList',
  ReservationStatus: 'Keyword',
  ReservationExpiresAt: 'Datetime',
} as const;

/** Failure types of the update validators: the domain's stable codes (src/domain/errors.ts). */
export const ValidationCodes = {
  invalidOrderId: 'INVENTORY.INVALID_ORDER_ID',
  invalidLines: 'INVENTORY.INVALID_LINES',
  invalidSku: 'INVENTORY.INVALID_SKU',
  invalidQuantity: 'INVENTORY.INVALID_QUANTITY',
  invalidTtl: 'INVENTORY.INVALID_TTL',
} as const satisfies Record<string, ErrorCode>;
