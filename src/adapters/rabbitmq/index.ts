export { AmqpConnection, BrokerUnavailableError, type AmqpConnectionOptions } from './AmqpConnection';
export {
  AmqpEventPublisher,
  messageOptions,
  type OutgoingEvent,
  type PublishResult,
} from './AmqpEventPublisher';
export { OrderEventsBridge, type BridgeOutcome, type HandledMessage } from './OrderEventsBridge';
export { parseOrderEvent, type OrderEvent } from './orderEvents';
export { OUTBOX_CHANNEL, OUTBOX_RELAY_LOCK_KEY, OutboxRelay, type RelayState } from './OutboxRelay';
export { PrismaProcessedMessageStore, type ProcessedMessageStore } from './ProcessedMessageStore';
export { assertTopology, DEAD_LETTER_REASON_HEADER, Topology } from './topology';
