import type { PrismaClient } from '../prisma/PrismaClientFactory';

export type ProcessedOutcome = 'signalled' | 'no-workflow' | 'recorded';

/** The bridge's memory of handled messages (processed_messages), for deduplication by eventId. */
export interface ProcessedMessageStore {
  /** The recorded outcome when this message was already handled. */
  find(messageId: string): Promise<string | undefined>;
  /** Idempotent: a second record of the same id keeps the first. */
  record(entry: {
    messageId: string;
    messageType: string;
    outcome: ProcessedOutcome;
    detail?: string;
  }): Promise<void>;
}

export class PrismaProcessedMessageStore implements ProcessedMessageStore {
  constructor(private readonly prisma: PrismaClient) {}

  async find(messageId: string): Promise<string | undefined> {
    const row = await this.prisma.processedMessage.findUnique({
      where: { messageId },
      select: { outcome: true },
    });
    return row?.outcome;
  }

  async record(entry: {
    messageId: string;
    messageType: string;
    outcome: ProcessedOutcome;
    detail?: string;
  }): Promise<void> {
    await this.prisma.processedMessage.createMany({
      data: [
        {
          messageId: entry.messageId,
          messageType: entry.messageType,
          outcome: entry.outcome,
          detail: entry.detail ?? null,
        },
      ],
      skipDuplicates: true,
    });
  }
}
