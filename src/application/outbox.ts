import type { InventoryEvent } from '../domain/events/InventoryEvents';
import type { IdGenerator } from '../domain/ports/IdGenerator';
import type { OutboxMessage } from '../domain/ports/OutboxPort';

/** Every event gets its own id here: consumers deduplicate on it. */
export function toOutboxMessages(events: readonly InventoryEvent[], ids: IdGenerator): OutboxMessage[] {
  return events.map((e) => ({
    eventId: ids.uuid(),
    type: e.type,
    partitionKey: e.sku,
    occurredAt: e.occurredAt,
    data: e.data,
  }));
}
