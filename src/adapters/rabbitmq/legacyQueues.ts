import type { Channel, ChannelModel, ConfirmChannel, GetMessage, Message, Options } from 'amqplib';
import type { Logger } from 'pino';
import { Topology } from './topology';

export interface QueueInfo {
  messageCount: number;
  consumerCount: number;
}

/**
 * Passive declare on a channel of its own (a missing queue closes the channel it was asked on):
 * the queue's ready messages and consumers, or undefined when it does not exist.
 */
export async function queueInfo(connection: ChannelModel, queue: string): Promise<QueueInfo | undefined> {
  const ch = await connection.createChannel();
  ch.on('error', () => undefined);
  try {
    const { messageCount, consumerCount } = await ch.checkQueue(queue);
    return { messageCount, consumerCount };
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return undefined;
    throw err;
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** Runs `work` on a channel of its own, so that a refusal (e.g. delete if-empty) closes only that one. */
async function onOwnChannel<T>(connection: ChannelModel, work: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await connection.createChannel();
  ch.on('error', () => undefined);
  try {
    return await work(ch);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** The classic queues get no new messages: their bindings go (unbinding a missing binding is a no-op). */
export async function unbindLegacyQueues(connection: ChannelModel): Promise<void> {
  if (await queueInfo(connection, Topology.legacyOrderEventsQueue)) {
    await onOwnChannel(connection, async (ch) => {
      for (const type of Topology.orderEventTypes) {
        await ch.unbindQueue(Topology.legacyOrderEventsQueue, Topology.orderExchange, type);
      }
    });
  }
  if (await queueInfo(connection, Topology.legacyDeadLetterQueue)) {
    await onOwnChannel(connection, (ch) =>
      ch.unbindQueue(Topology.legacyDeadLetterQueue, Topology.deadLetterExchange, ''),
    );
  }
}

/**
 * Deletes a queue only when it is empty and nobody consumes it (a replica of an earlier release may
 * still hold messages unacknowledged). Resolves true when it is gone.
 */
export async function deleteIfDrained(connection: ChannelModel, queue: string): Promise<boolean> {
  const info = await queueInfo(connection, queue);
  if (!info) return true;
  if (info.messageCount > 0 || info.consumerCount > 0) return false;
  try {
    await onOwnChannel(connection, (ch) => ch.deleteQueue(queue, { ifEmpty: true, ifUnused: true }));
    return true;
  } catch {
    return false;
  }
}

/** Publish options that carry a message over unchanged (amqplib rejects undefined fields). */
export function copyOptions(
  p: Message['properties'],
  headers: Record<string, unknown> = p.headers ?? {},
): Options.Publish {
  const options: Options.Publish = {
    persistent: true,
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    messageId: p.messageId,
    correlationId: p.correlationId,
    type: p.type,
    timestamp: p.timestamp,
    appId: p.appId,
    headers,
  };
  for (const key of Object.keys(options) as (keyof Options.Publish)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

/**
 * Moves the classic dead-letter queue's messages, unchanged, into the quorum one (each confirmed before
 * it is acknowledged: none lost, a crash in between leaves a copy in both), then deletes it.
 */
export async function moveLegacyDeadLetters(
  connection: ChannelModel,
  confirms: ConfirmChannel,
  logger: Logger,
): Promise<number> {
  if (!(await queueInfo(connection, Topology.legacyDeadLetterQueue))) return 0;
  let moved = 0;
  await onOwnChannel(connection, async (ch) => {
    for (;;) {
      const msg: GetMessage | false = await ch.get(Topology.legacyDeadLetterQueue, { noAck: false });
      if (!msg) break;
      await new Promise<void>((resolve, reject) =>
        confirms.publish('', Topology.deadLetterQueue, msg.content, copyOptions(msg.properties), (err) =>
          err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
        ),
      );
      ch.ack(msg);
      moved += 1;
    }
  });
  const deleted = await deleteIfDrained(connection, Topology.legacyDeadLetterQueue);
  logger.info(
    { from: Topology.legacyDeadLetterQueue, to: Topology.deadLetterQueue, moved, deleted },
    'moved the classic dead-letter queue into the quorum one',
  );
  return moved;
}
