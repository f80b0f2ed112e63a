import type { ProcessedMessage, ProcessedMessagesPort, ProcessedOutcome } from '../../application/ports';
import type { PrismaClient } from './PrismaClientFactory';

/** processed_messages: the bridge's record of handled eventIds. */
export class PrismaProcessedMessageStore implements ProcessedMessagesPort {
  constructor(private readonly prisma: PrismaClient) {}

  async find(messageId: string): Promise<ProcessedMessage | undefined> {
    const row = await this.prisma.processedMessage.findUnique({
      where: { messageId },
      select: { messageId: true, messageType: true, outcome: true, detail: true, fingerprint: true },
    });
    if (!row) return undefined;
    return {
      messageId: row.messageId,
      messageType: row.messageType,
      outcome: row.outcome as ProcessedOutcome,
      ...(row.detail === null ? {} : { detail: row.detail }),
      ...(row.fingerprint === null ? {} : { fingerprint: row.fingerprint }),
    };
  }

  async record(entry: ProcessedMessage): Promise<void> {
    await this.prisma.processedMessage.createMany({
      data: [
        {
          messageId: entry.messageId,
          messageType: entry.messageType,
          outcome: entry.outcome,
          detail: entry.detail ?? null,
          fingerprint: entry.fingerprint ?? null,
        },
      ],
      skipDuplicates: true,
    });
  }
}
