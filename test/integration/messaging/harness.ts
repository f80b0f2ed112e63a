import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino, { type Logger } from 'pino';
import { AmqpConnection } from '../../../src/adapters/rabbitmq/AmqpConnection';
import type { BackoffOptions } from '../../../src/adapters/shared/backoff';
import { AmqpEventPublisher } from '../../../src/adapters/rabbitmq/AmqpEventPublisher';
import { OutboxRelay, type OutboxRelayDependencies } from '../../../src/adapters/rabbitmq/OutboxRelay';
import { assertTopology } from '../../../src/adapters/rabbitmq/topology';
import { loadConfig, type Config } from '../../../src/config';

/** Silent unless TEST_LOG_LEVEL is set (e.g. TEST_LOG_LEVEL=debug npx jest ...). */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

export function testConfig(overrides: Record<string, string>): Config {
  return loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...overrides });
}

export interface RelayUnderTest {
  relay: OutboxRelay;
  connection: AmqpConnection;
  publisher: AmqpEventPublisher;
  stop(): Promise<void>;
}

/** The relay as the container wires it, with its own publisher connection (asserting the topology). */
export function startRelay(
  options: {
    databaseUrl: string;
    amqpUrl: string;
    name?: string;
    connectionBackoff?: BackoffOptions;
  } & Partial<OutboxRelayDependencies>,
): RelayUnderTest {
  const logger = options.logger ?? testLogger();
  const connection = new AmqpConnection({
    url: options.amqpUrl,
    name: options.name ?? 'test relay publisher',
    logger,
    backoff: options.connectionBackoff ?? { initialMs: 50, maxMs: 1_000 },
  });
  connection.addSetup(async (c) => {
    const ch = await c.createChannel();
    ch.on('error', () => undefined);
    await assertTopology(ch);
    await ch.close();
  });
  const publisher = new AmqpEventPublisher({ connection, logger });
  const relay = new OutboxRelay({
    pollIntervalMs: 250,
    batchSize: 100,
    retryBackoff: { initialMs: 50, maxMs: 1_000 },
    reconnectBackoff: { initialMs: 50, maxMs: 500 },
    ...options,
    publisher,
    logger,
    databaseUrl: options.databaseUrl,
    brokerReconnected: () => connection.nextConnection(),
    brokerReady: () => connection.waitForConnection(),
  });
  connection.start();
  relay.start();
  return {
    relay,
    connection,
    publisher,
    stop: async () => {
      await relay.stop();
      await publisher.close();
      await connection.close();
    },
  };
}

export interface OutboxRowInput {
  type: string;
  sku: string;
  data: Record<string, unknown>;
  headers?: Record<string, string>;
  eventId?: string;
  occurredAt?: Date;
}

/** Inserts outbox rows in one statement (one transaction, one NOTIFY), as PgOutbox does. */
export async function insertOutboxRows(pg: Client, rows: OutboxRowInput[]): Promise<string[]> {
  const full = rows.map((r) => ({
    ...r,
    eventId: r.eventId ?? randomUUID(),
    occurredAt: r.occurredAt ?? new Date(),
  }));
  await pg.query(
    `INSERT INTO outbox_events (event_id, event_type, partition_key, payload, headers, occurred_at)
     SELECT e.event_id, e.event_type, e.partition_key, e.payload, e.headers, e.occurred_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[])
            WITH ORDINALITY AS e(event_id, event_type, partition_key, payload, headers, occurred_at, ord)
      ORDER BY e.ord`,
    [
      full.map((r) => r.eventId),
      full.map((r) => r.type),
      full.map((r) => r.sku),
      full.map((r) =>
        JSON.stringify({
          eventId: r.eventId,
          type: r.type,
          occurredAt: r.occurredAt.toISOString(),
          data: r.data,
        }),
      ),
      full.map((r) => JSON.stringify(r.headers ?? {})),
      full.map((r) => r.occurredAt.toISOString()),
    ],
  );
  return full.map((r) => r.eventId);
}

export async function connectPg(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}
