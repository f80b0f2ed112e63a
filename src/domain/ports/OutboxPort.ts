/** An event to publish, as recorded in the same transaction as the change it reports. */
export interface OutboxMessage {
  readonly eventId: string;
  /** The routing key, e.g. StockReserved. */
  readonly type: string;
  /** Events with the same key are published in the order they were recorded (the SKU). */
  readonly partitionKey: string;
  readonly occurredAt: Date;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The transactional outbox: records events; a relay publishes them after commit. */
export interface OutboxPort {
  record(messages: readonly OutboxMessage[]): Promise<void>;
}
