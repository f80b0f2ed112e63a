import type { ProcessedMessage, ProcessedMessagesPort } from '../../../src/application/ports';

/** processed_messages in a Map: the first record of an id wins, as in the table. */
export class InMemoryProcessedMessages implements ProcessedMessagesPort {
  readonly rows = new Map<string, ProcessedMessage>();
  /** Errors thrown by the next record() calls, one per call. */
  readonly recordFailures: Error[] = [];

  async find(messageId: string): Promise<ProcessedMessage | undefined> {
    const row = this.rows.get(messageId);
    return row && { ...row };
  }

  async record(entry: ProcessedMessage): Promise<void> {
    const failure = this.recordFailures.shift();
    if (failure) throw failure;
    if (!this.rows.has(entry.messageId)) this.rows.set(entry.messageId, { ...entry });
  }
}
