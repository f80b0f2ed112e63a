import type { OrderSignalPort, ProcessedMessagesPort, ProcessedOutcome } from './ports';

/** order-service's events that inventory consumes (CONTRACT.md), in the order of the saga. */
export const ORDER_EVENT_TYPES = ['OrderCreated', 'OrderConfirmed', 'OrderCancelled'] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/** One order event as the transport delivered it, its body already decoded and checked by the adapter. */
export interface ReceivedOrderEvent {
  eventId: string;
  /** The body's `type`. */
  type: string;
  /** The type the transport routed the message as (the AMQP routing key): it must agree with `type`. */
  routedAs: string;
  orderId: string;
  /** OrderCancelled's reason, handed on to the cancel. */
  reason?: string;
  /**
   * Identifies what the event says (the adapter hashes its type and data): one eventId, one content.
   * A copy with the same fingerprint is a duplicate; another fingerprint is a reused eventId.
   */
  fingerprint: string;
}

export type OrderEventOutcome =
  /** Signalled to the order's reservation (or, for OrderCreated, only recorded). */
  | { kind: 'applied'; outcome: Extract<ProcessedOutcome, 'signalled' | 'recorded'> }
  /** The order has no running reservation: recorded, not to be retried. */
  | { kind: 'no-workflow'; detail: string }
  /** Already handled: nothing done again. `previous` is what the first delivery recorded. */
  | { kind: 'duplicate'; previous: ProcessedOutcome }
  /** Must not be applied (the transport dead-letters it with the reason). */
  | { kind: 'rejected'; reason: string };

export interface HandleOrderEventDependencies {
  orderSignals: OrderSignalPort;
  processed: ProcessedMessagesPort;
}

/**
 * What an order event means for inventory: OrderConfirmed → confirm the order's reservation,
 * OrderCancelled → cancel it (compensation), OrderCreated → nothing but the record. Each eventId is
 * applied once; the record is written after the signal was accepted, so a failure in between retries
 * the signal (its receiver ignores a second decision). Failures of the ports propagate: the caller
 * decides between retrying and giving up.
 */
export class HandleOrderEvent {
  constructor(private readonly deps: HandleOrderEventDependencies) {}

  async execute(event: ReceivedOrderEvent): Promise<OrderEventOutcome> {
    if (!isOrderEventType(event.type)) {
      return { kind: 'rejected', reason: `unknown event type "${event.type.slice(0, 100)}"` };
    }
    if (event.routedAs !== event.type) {
      return {
        kind: 'rejected',
        reason: `routing key "${event.routedAs.slice(0, 100)}" does not match the body's type "${event.type}"`,
      };
    }
    const seen = await this.deps.processed.find(event.eventId);
    if (seen) {
      if (seen.fingerprint !== undefined && seen.fingerprint !== event.fingerprint) {
        return {
          kind: 'rejected',
          reason: `eventId ${event.eventId} was already used for a different event (first handled as ${seen.messageType}: ${seen.outcome})`,
        };
      }
      return { kind: 'duplicate', previous: seen.outcome };
    }

    let outcome: ProcessedOutcome;
    switch (event.type) {
      case 'OrderCreated':
        outcome = 'recorded';
        break;
      case 'OrderConfirmed':
        outcome = await this.deps.orderSignals.confirm(event.orderId);
        break;
      case 'OrderCancelled':
        outcome = await this.deps.orderSignals.cancel(event.orderId, event.reason);
        break;
    }
    const entry = { messageId: event.eventId, messageType: event.type, fingerprint: event.fingerprint };
    if (outcome === 'no-workflow') {
      const detail = `no running reservation workflow for order ${event.orderId}`;
      await this.deps.processed.record({ ...entry, outcome, detail });
      return { kind: 'no-workflow', detail };
    }
    await this.deps.processed.record({ ...entry, outcome });
    return { kind: 'applied', outcome };
  }
}

export function isOrderEventType(type: string): type is OrderEventType {
  return (ORDER_EVENT_TYPES as readonly string[]).includes(type);
}
