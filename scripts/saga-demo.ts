/**
 * npm run saga:demo — plays orders-capi (HTTP) and order-service (order.events) once against the
 * RUNNING service, and shows what inventory does: two SKUs, an order reserved then cancelled (the
 * compensation), a second order reserved then confirmed. Each step prints its latency, and each order
 * the Temporal Web UI link of its reservation workflow. Ids are unique per run, so it can be repeated.
 *
 *   INVENTORY_URL  the service (default http://127.0.0.1:$PORT, PORT default 3000)
 *   AMQP_URL, AUTH_JWT_*, TEMPORAL_*  as for the service (src/config): the same .env works for both
 *   DEMO_TIMEOUT_MS  how long to wait for each event (default 10000)
 *
 * Exit code 0 when every step succeeded; 1 with a message naming the step that failed or timed out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Connection, Client } from '@temporalio/client';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { jwtSettingsFrom, mintToken } from '../src/adapters/http/auth';
import { ConfigError, loadConfig, type Config } from '../src/config';
import { loadEnvFile } from '../src/config/envFile';
import { reservationWorkflowId } from '../workflows/shared';

const INVENTORY_EXCHANGE = 'inventory.events';
const ORDER_EXCHANGE = 'order.events';

class DemoError extends Error {}

const BRIDGE_HINT =
  'Is the order.events bridge running (ROLES includes bridge), and AMQP_URL the broker and vhost of the service?';

interface InventoryEvent {
  eventId: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

interface Received {
  event: InventoryEvent;
  routingKey: string;
  messageId?: string;
  traceparent?: string;
  at: number;
}

interface StockLevel {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
}

interface Reservation {
  orderId: string;
  status: string;
  releaseReason?: string;
  lines: { sku: string; quantity: number }[];
  expiresAt: string;
}

const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (colour ? `\u001b[${code}m${s}\u001b[0m` : s);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const red = paint(31);
const cyan = paint(36);

let stepNo = 0;
/** What the demo is doing now, for the failure message. */
let phase = 'checking that the service is running';
function begin(what: string): number {
  phase = what;
  return performance.now();
}

function step(title: string, ms: number, lines: string[] = []): void {
  stepNo++;
  const latency = `${ms.toFixed(1)} ms`;
  console.log(`${green('✓')} ${bold(`${String(stepNo).padStart(2)}. ${title}`)} ${dim(`(${latency})`)}`);
  for (const line of lines) console.log(`      ${line}`);
}

function since(start: number): number {
  return performance.now() - start;
}

/** Subscribes its own temporary queue to inventory.events and publishes on order.events. */
class Broker {
  private readonly received: Received[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly connection: ChannelModel,
    private readonly consumer: Channel,
    private readonly publisher: ConfirmChannel,
  ) {}

  static async connect(url: string): Promise<Broker> {
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(url, { noDelay: true });
    } catch (error) {
      throw new DemoError(`cannot connect to RabbitMQ at ${redact(url)}: ${message(error)}`);
    }
    connection.on('error', () => undefined);
    const consumer = await connection.createChannel();
    const publisher = await connection.createConfirmChannel();
    // Both exchanges are declared durable topics by their owners; declaring them identically is a no-op.
    await consumer.assertExchange(INVENTORY_EXCHANGE, 'topic', { durable: true });
    await publisher.assertExchange(ORDER_EXCHANGE, 'topic', { durable: true });
    const { queue } = await consumer.assertQueue('', { exclusive: true, autoDelete: true });
    await consumer.bindQueue(queue, INVENTORY_EXCHANGE, '#');
    const broker = new Broker(connection, consumer, publisher);
    await consumer.consume(queue, (msg) => msg && broker.add(msg), { noAck: true });
    return broker;
  }

  private add(msg: ConsumeMessage): void {
    let event: InventoryEvent;
    try {
      event = JSON.parse(msg.content.toString('utf8')) as InventoryEvent;
    } catch {
      return;
    }
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    this.received.push({
      event,
      routingKey: msg.fields.routingKey,
      messageId: msg.properties.messageId as string | undefined,
      traceparent: typeof headers.traceparent === 'string' ? headers.traceparent : undefined,
      at: performance.now(),
    });
    for (const wake of [...this.waiters]) wake();
  }

  /** Waits for `count` distinct events of `type` for this order (deduplicated by eventId). */
  waitFor(
    type: string,
    orderId: string,
    count: number,
    timeoutMs: number,
    hint = 'Is the outbox relay running (ROLES includes relay), and AMQP_URL the broker and vhost of the service?',
  ): Promise<Received[]> {
    return this.waitForMatching(type, 'orderId', orderId, `order ${orderId}`, count, timeoutMs, hint);
  }

  /** Waits for `count` distinct events of `type` for this SKU (StockDepleted, StockRestored...). */
  waitForSku(type: string, sku: string, count: number, timeoutMs: number): Promise<Received[]> {
    return this.waitForMatching(
      type,
      'sku',
      sku,
      `SKU ${sku}`,
      count,
      timeoutMs,
      'Is the outbox relay running (ROLES includes relay), and AMQP_URL the broker and vhost of the service?',
    );
  }

  private async waitForMatching(
    type: string,
    field: 'orderId' | 'sku',
    value: string,
    what: string,
    count: number,
    timeoutMs: number,
    hint: string,
  ): Promise<Received[]> {
    const matching = () => {
      const seen = new Set<string>();
      return this.received.filter(
        (r) =>
          r.routingKey === type &&
          r.event.data?.[field] === value &&
          !seen.has(r.event.eventId) &&
          seen.add(r.event.eventId),
      );
    };
    if (matching().length >= count) return matching().slice(0, count);
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (matching().length >= count) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const got = matching().length;
        reject(
          new DemoError(
            `timed out after ${timeoutMs} ms waiting for ${count} ${type} event(s) of ${what} ` +
              `on ${INVENTORY_EXCHANGE} (received ${got}; ${this.received.length} inventory events in all). ` +
              hint,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
    return matching().slice(0, count);
  }

  /** Publishes an order-service event as the contract describes it; resolves on the broker's confirm. */
  async publishOrderEvent(type: 'OrderConfirmed' | 'OrderCancelled', data: Record<string, unknown>) {
    const eventId = randomUUID();
    const body = { eventId, type, occurredAt: new Date().toISOString(), data };
    await new Promise<void>((resolve, reject) =>
      this.publisher.publish(
        ORDER_EXCHANGE,
        type,
        Buffer.from(JSON.stringify(body)),
        {
          persistent: true,
          contentType: 'application/json',
          messageId: eventId,
          type,
          timestamp: Math.floor(Date.now() / 1000),
          appId: 'saga-demo',
        },
        (err) => (err ? reject(new DemoError(`RabbitMQ refused ${type}: ${String(err)}`)) : resolve()),
      ),
    );
    return eventId;
  }

  async close(): Promise<void> {
    await this.consumer.close().catch(() => undefined);
    await this.publisher.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}

class Inventory {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, expected: number[] = [200]): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new DemoError(`${method} ${path} failed: ${message(error)}`);
    }
    const text = await res.text();
    if (!expected.includes(res.status)) {
      throw new DemoError(
        `${method} ${path} answered ${res.status}, expected ${expected.join('/')}: ${text}`,
      );
    }
    return JSON.parse(text) as T;
  }

  level(sku: string): Promise<StockLevel> {
    return this.call<StockLevel>('GET', `/inventory/${encodeURIComponent(sku)}`);
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function message(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

function inventoryUrl(): string {
  return (process.env.INVENTORY_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`).replace(/\/+$/, '');
}

/** Fails with "start it with npm start" when nothing answers, or names the dependencies that are down. */
async function checkService(baseUrl: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new DemoError(
      `inventory-service is not running at ${baseUrl} (${message(error)}): start it with npm start ` +
        '(or set INVENTORY_URL to where it runs)',
    );
  }
  if (res.status !== 200) {
    const body = (await res.json().catch(() => ({}))) as {
      checks?: Record<string, { ok: boolean; detail?: string }>;
    };
    const down = Object.entries(body.checks ?? {})
      .filter(([, c]) => !c.ok)
      .map(([name, c]) => `${name}${c.detail ? ` (${c.detail})` : ''}`);
    throw new DemoError(
      `inventory-service at ${baseUrl} is not ready (${res.status}${down.length ? `: ${down.join(', ')}` : ''})`,
    );
  }
}

function workflowLink(config: Config, orderId: string): string {
  const ui = config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  return `${ui}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(
    reservationWorkflowId(orderId),
  )}`;
}

/** The workflow's status as Temporal reports it; best effort (the link is printed either way). */
async function workflowStatus(client: Client | undefined, orderId: string): Promise<string> {
  if (!client) return 'status unknown (Temporal not reachable)';
  try {
    const description = await client.workflow.getHandle(reservationWorkflowId(orderId)).describe();
    return description.status.name;
  } catch (error) {
    return `status unknown (${message(error)})`;
  }
}

/** `from`: when the HTTP request or the order event that caused it was sent. */
function describeEvent(r: Received, from: number, cause: string): string {
  const { data } = r.event;
  const fields = Object.entries(data)
    .filter(([k]) => k !== 'orderId')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const latency = `${(r.at - from).toFixed(1)} ms after ${cause}, eventId ${r.event.eventId}`;
  return `${cyan(r.routingKey)} ${fields} ${dim(latency)}`;
}

function expectLevel(level: StockLevel, expected: Partial<StockLevel>, what: string): void {
  for (const [key, value] of Object.entries(expected)) {
    const actual = level[key as keyof StockLevel];
    if (actual !== value) {
      throw new DemoError(`${what}: ${level.sku} has ${key} ${String(actual)}, expected ${String(value)}`);
    }
  }
}

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const baseUrl = inventoryUrl();
  const timeoutMs = Number(process.env.DEMO_TIMEOUT_MS ?? 10_000);
  const run = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toUpperCase();
  const skuA = `DEMO-${run}-MUG`;
  const skuB = `DEMO-${run}-TEE`;
  const cancelledOrder = `demo-${run.toLowerCase()}-1`;
  const confirmedOrder = `demo-${run.toLowerCase()}-2`;

  console.log(bold(`inventory saga demo against ${baseUrl}`));
  await checkService(baseUrl);
  const token = await mintToken(jwtSettingsFrom(config), {
    scopes: ['inventory:read', 'inventory:reserve', 'inventory:admin'],
    ttlSeconds: 600,
    subject: 'saga-demo',
  });
  const http = new Inventory(baseUrl, token);
  phase = 'connecting to RabbitMQ';
  const broker = await Broker.connect(config.AMQP_URL);
  let temporal: Connection | undefined;
  try {
    temporal = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: '3s' }).catch(
      () => undefined,
    );
    const temporalClient = temporal
      ? new Client({ connection: temporal, namespace: config.TEMPORAL_NAMESPACE })
      : undefined;
    console.log(
      dim(`listening on ${INVENTORY_EXCHANGE} (temporary queue), publishing on ${ORDER_EXCHANGE}\n`),
    );

    // orders-capi's admin sets up the catalogue.
    let t = begin('creating two SKUs');
    const a = await http.call<StockLevel>('PUT', `/inventory/${skuA}`, { onHand: 10, safetyStock: 2 }, [201]);
    const b = await http.call<StockLevel>('PUT', `/inventory/${skuB}`, { onHand: 5 }, [201]);
    step('Create two SKUs (PUT /inventory/:sku)', since(t), [
      `${a.sku}: onHand ${a.onHand}, available ${a.available}`,
      `${b.sku}: onHand ${b.onHand}, available ${b.available}`,
    ]);

    // Order 1: checkout reserves both lines at once, then order-service cancels it.
    console.log(bold(`\norder ${cancelledOrder}: reserved, then cancelled by order-service`));
    t = begin(`reserving order ${cancelledOrder}`);
    const r1 = await http.call<Reservation>(
      'POST',
      '/reservations',
      {
        orderId: cancelledOrder,
        lines: [
          { sku: skuA, quantity: 3 },
          // Every unit of the tee: it goes out of stock (StockDepleted), and comes back on the cancel.
          { sku: skuB, quantity: 5 },
        ],
      },
      [201],
    );
    step(`Reserve order ${cancelledOrder} over HTTP (POST /reservations)`, since(t), [
      `status ${r1.status}, lines ${r1.lines.map((l) => `${l.sku}×${l.quantity}`).join(', ')}, expires ${r1.expiresAt}`,
      `Temporal: ${workflowLink(config, cancelledOrder)}`,
    ]);

    phase = `waiting for StockReserved of order ${cancelledOrder}`;
    const reserved1 = await broker.waitFor('StockReserved', cancelledOrder, 2, timeoutMs);
    step('StockReserved received', Math.max(...reserved1.map((r) => r.at)) - t, [
      ...reserved1.map((r) => describeEvent(r, t, 'the request')),
    ]);
    phase = `waiting for StockDepleted of ${skuB}`;
    const [depleted] = await broker.waitForSku('StockDepleted', skuB, 1, timeoutMs);
    step(`StockDepleted received (${skuB} is out of stock)`, depleted!.at - t, [
      describeEvent(depleted!, t, 'the request'),
    ]);

    t = begin('publishing OrderCancelled');
    await broker.publishOrderEvent('OrderCancelled', { orderId: cancelledOrder, reason: 'payment declined' });
    step('Publish OrderCancelled on order.events (as order-service)', since(t));

    phase = `waiting for StockReleased of order ${cancelledOrder}`;
    const released = await broker.waitFor('StockReleased', cancelledOrder, 2, timeoutMs, BRIDGE_HINT);
    const badReason = released.find((r) => r.event.data.reason !== 'cancelled');
    if (badReason) {
      throw new DemoError(
        `StockReleased carries reason ${String(badReason.event.data.reason)}, expected cancelled`,
      );
    }
    step('StockReleased received (reason cancelled)', Math.max(...released.map((r) => r.at)) - t, [
      ...released.map((r) => describeEvent(r, t, 'OrderCancelled')),
    ]);
    phase = `waiting for StockRestored of ${skuB}`;
    const [restored] = await broker.waitForSku('StockRestored', skuB, 1, timeoutMs);
    step(`StockRestored received (${skuB} is back in stock)`, restored!.at - t, [
      describeEvent(restored!, t, 'OrderCancelled'),
    ]);

    t = begin('checking the restored stock');
    const [a1, b1] = await Promise.all([http.level(skuA), http.level(skuB)]);
    expectLevel(a1, { onHand: 10, reserved: 0, available: 10 }, 'stock not restored');
    expectLevel(b1, { onHand: 5, reserved: 0, available: 5 }, 'stock not restored');
    const cancelled = await http.call<Reservation>('GET', `/reservations/${cancelledOrder}`);
    if (cancelled.status !== 'RELEASED' || cancelled.releaseReason !== 'cancelled') {
      throw new DemoError(
        `reservation ${cancelledOrder} is ${cancelled.status}/${String(cancelled.releaseReason)}, expected RELEASED/cancelled`,
      );
    }
    step('Stock restored (GET /inventory/:sku, GET /reservations/:orderId)', since(t), [
      `${a1.sku}: available ${a1.available}, reserved ${a1.reserved}`,
      `${b1.sku}: available ${b1.available}, reserved ${b1.reserved}`,
      `reservation ${cancelled.status}, releaseReason ${cancelled.releaseReason}`,
      `workflow ${await workflowStatus(temporalClient, cancelledOrder)}: ${workflowLink(config, cancelledOrder)}`,
    ]);

    // Order 2: reserved per SKU, then confirmed: the units leave stock.
    console.log(bold(`\norder ${confirmedOrder}: reserved, then confirmed by order-service`));
    t = begin(`reserving order ${confirmedOrder}`);
    const r2 = await http.call<Reservation>(
      'POST',
      `/inventory/${skuA}/reserve`,
      { orderId: confirmedOrder, quantity: 4 },
      [201],
    );
    step(`Reserve order ${confirmedOrder} over HTTP (POST /inventory/:sku/reserve)`, since(t), [
      `status ${r2.status}, lines ${r2.lines.map((l) => `${l.sku}×${l.quantity}`).join(', ')}`,
      `Temporal: ${workflowLink(config, confirmedOrder)}`,
    ]);
    phase = `waiting for StockReserved of order ${confirmedOrder}`;
    const [reserved2] = await broker.waitFor('StockReserved', confirmedOrder, 1, timeoutMs);
    step('StockReserved received', reserved2!.at - t, [describeEvent(reserved2!, t, 'the request')]);

    t = begin('publishing OrderConfirmed');
    await broker.publishOrderEvent('OrderConfirmed', { orderId: confirmedOrder });
    step('Publish OrderConfirmed on order.events (as order-service)', since(t));

    phase = `waiting for StockCommitted of order ${confirmedOrder}`;
    const [committed] = await broker.waitFor('StockCommitted', confirmedOrder, 1, timeoutMs, BRIDGE_HINT);
    step('StockCommitted received', committed!.at - t, [describeEvent(committed!, t, 'OrderConfirmed')]);

    t = begin('checking the committed stock');
    const a2 = await http.level(skuA);
    expectLevel(a2, { onHand: 6, reserved: 0, available: 6 }, 'stock not committed');
    const confirmed = await http.call<Reservation>('GET', `/reservations/${confirmedOrder}`);
    if (confirmed.status !== 'CONFIRMED') {
      throw new DemoError(`reservation ${confirmedOrder} is ${confirmed.status}, expected CONFIRMED`);
    }
    step('Units left stock (GET /inventory/:sku, GET /reservations/:orderId)', since(t), [
      `${a2.sku}: onHand ${a2.onHand}, available ${a2.available}`,
      `reservation ${confirmed.status}`,
      `workflow ${await workflowStatus(temporalClient, confirmedOrder)}: ${workflowLink(config, confirmedOrder)}`,
    ]);

    console.log(`\n${green(bold('saga demo complete'))}: ${stepNo} steps`);
  } finally {
    await broker.close();
    await temporal?.close().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(red(error.message));
    else if (error instanceof DemoError)
      console.error(`${red('✗')} saga demo failed while ${phase}: ${error.message}`);
    else console.error(`${red('✗')} saga demo failed while ${phase}:`, error);
    process.exit(1);
  },
);
