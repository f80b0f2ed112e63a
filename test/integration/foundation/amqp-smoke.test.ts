import { randomUUID } from 'node:crypto';
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createTestVhost, type TestVhost } from '../../support/amqp';

describe('harness: RabbitMQ', () => {
  let vhost: TestVhost;
  let conn: ChannelModel;

  beforeAll(async () => {
    vhost = await createTestVhost('inv_smoke');
    conn = await amqp.connect(vhost.url, { noDelay: true });
  });

  afterAll(async () => {
    await conn?.close();
    await vhost?.drop();
  });

  it('round-trips a persistent message through a topic exchange with publisher confirms', async () => {
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('smoke.events', 'topic', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'smoke.events', 'Smoke.*');
    const received = new Promise<ConsumeMessage>((resolve) => {
      void ch.consume(queue, (msg) => msg && resolve(msg), { noAck: true });
    });
    const id = randomUUID();
    ch.publish('smoke.events', 'Smoke.Test', Buffer.from(JSON.stringify({ id })), {
      persistent: true,
      messageId: id,
      contentType: 'application/json',
    });
    await ch.waitForConfirms();
    const msg = await received;
    expect(msg.properties.messageId).toBe(id);
    expect(msg.fields.routingKey).toBe('Smoke.Test');
    expect(JSON.parse(msg.content.toString())).toEqual({ id });
    await ch.close();
  });
});
