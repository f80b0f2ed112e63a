import { performance } from 'node:perf_hooks';
import { OrderEventsPublisher } from '../support/orderEvents';
import { SERVER_TIMING_HEADER, serverTimingMs } from '../../src/adapters/http/serverTiming';
import { uniqueOrderId } from '../support/naming';

/** What orders-capi would do: give up on a reserve after this long. */
export const CALLER_TIMEOUT_MS = 5_000;

export interface Line {
  sku: string;
  quantity: number;
}

/** One reserve call as its caller saw it (after at most one retry on a refused/reset connection). */
export interface ReserveCall {
  orderId: string;
  lines: Line[];
  ttlSeconds: number;
  /** HTTP status, 'timeout' (gave up at CALLER_TIMEOUT_MS) or 'network' (no answer from either api). */
  outcome: number | 'timeout' | 'network';
  /** ms since the epoch */
  sentAt: number;
  latencyMs: number;
  /** The api's own time for the answer (its Server-Timing header), when an answer came. */
  serverMs?: number;
  /** Retried on the other api after a connection error. */
  retried: boolean;
  body?: unknown;
  decision?: Decision;
}

export interface Decision {
  type: 'OrderConfirmed' | 'OrderCancelled';
  /** When the publish was confirmed by the broker, ms since the epoch; undefined if it never was. */
  publishedAt?: number;
  error?: string;
}

export interface LoadOptions {
  apiUrls: () => string[];
  token: string;
  amqpUrl: string;
  skus: { hot: string; cold: string[] };
  ratePerSecond: number;
  /** Probabilities of a confirm / a cancel after a 201 (the rest expire). */
  confirmShare: number;
  cancelShare: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/**
 * Publishes order-service's decisions on order.events across a broker outage: on failure it reconnects
 * and retries (as an outbox-backed order-service would), until the broker confirms or `deadlineMs`.
 */
class ResilientOrderEvents {
  private publisher: Promise<OrderEventsPublisher> | undefined;

  constructor(private readonly url: string) {}

  private open(): Promise<OrderEventsPublisher> {
    this.publisher ??= OrderEventsPublisher.open(this.url).catch((error: unknown) => {
      this.publisher = undefined;
      throw error;
    });
    return this.publisher;
  }

  async publish(type: Decision['type'], orderId: string, deadlineMs: number): Promise<Decision> {
    const stopAt = Date.now() + deadlineMs;
    let error = '';
    while (Date.now() < stopAt) {
      const current = this.open();
      try {
        const publisher = await current;
        await withTimeout(publisher.publish(type, { orderId }), 5_000);
        return { type, publishedAt: Date.now() };
      } catch (e) {
        error = (e as Error).message;
        if (this.publisher === current) {
          this.publisher = undefined;
          void current.then((p) => p.close()).catch(() => undefined);
        }
        await sleep(500);
      }
    }
    return { type, error };
  }

  async close(): Promise<void> {
    await this.publisher?.then((p) => p.close()).catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no broker confirm within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Open-loop load: a reserve every 1/rate seconds whatever the answers, round-robin over the api
 * processes; after a 201, a confirm or cancel on order.events for some orders, the rest left to expire.
 */
export class LoadGenerator {
  readonly calls: ReserveCall[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly events: ResilientOrderEvents;
  private running = false;
  private loop: Promise<void> | undefined;
  private next = 0;

  constructor(private readonly options: LoadOptions) {
    this.events = new ResilientOrderEvents(options.amqpUrl);
  }

  start(): void {
    this.running = true;
    const interval = 1000 / this.options.ratePerSecond;
    this.loop = (async () => {
      const t0 = performance.now();
      for (let i = 0; this.running; i++) {
        this.track(this.reserveOnce());
        const wait = t0 + (i + 1) * interval - performance.now();
        if (wait > 0) await sleep(wait);
      }
    })();
  }

  /** Stops sending and waits for every call and decision in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.events.close();
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private request(): { orderId: string; lines: Line[]; ttlSeconds: number; path: string; body: unknown } {
    const { hot, cold } = this.options.skus;
    const orderId = uniqueOrderId('fault');
    const ttlSeconds = between(3, 5);
    const first = Math.random() < 0.4 ? hot : pick(cold);
    if (Math.random() < 0.3) {
      const line = { sku: first, quantity: between(1, 3) };
      return {
        orderId,
        ttlSeconds,
        lines: [line],
        path: `/inventory/${first}/reserve`,
        body: { orderId, quantity: line.quantity, ttlSeconds },
      };
    }
    const skus = [first];
    if (Math.random() < 0.5) skus.push(pick(cold.filter((s) => s !== first)));
    const lines = skus.map((sku) => ({ sku, quantity: between(1, 3) }));
    return { orderId, ttlSeconds, lines, path: '/reservations', body: { orderId, lines, ttlSeconds } };
  }

  private async reserveOnce(): Promise<void> {
    const req = this.request();
    const sentAt = Date.now();
    const t0 = performance.now();
    const deadline = t0 + CALLER_TIMEOUT_MS;
    let outcome: ReserveCall['outcome'] = 'network';
    let body: unknown;
    let serverMs: number | undefined;
    let retried = false;
    const first = this.next++;
    for (let attempt = 0; attempt < 2; attempt++) {
      const urls = this.options.apiUrls();
      const base = urls[(first + attempt) % urls.length]!;
      const left = deadline - performance.now();
      if (left <= 0) {
        outcome = 'timeout';
        break;
      }
      try {
        const res = await fetch(`${base}${req.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(req.body),
          signal: AbortSignal.timeout(Math.ceil(left)),
        });
        outcome = res.status;
        serverMs = serverTimingMs(res.headers.get(SERVER_TIMING_HEADER));
        body = await res.json().catch(() => undefined);
        break;
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          outcome = 'timeout';
          break;
        }
        // Refused or reset (the api process was killed): a load balancer would try the other one.
        outcome = 'network';
        retried = attempt === 0;
      }
    }
    const call: ReserveCall = {
      orderId: req.orderId,
      lines: req.lines,
      ttlSeconds: req.ttlSeconds,
      outcome,
      sentAt,
      latencyMs: performance.now() - t0,
      ...(serverMs !== undefined ? { serverMs } : {}),
      retried,
      body,
    };
    this.calls.push(call);
    if (outcome !== 201) return;
    const roll = Math.random();
    const { confirmShare, cancelShare } = this.options;
    if (roll >= confirmShare + cancelShare) return;
    const type = roll < confirmShare ? 'OrderConfirmed' : 'OrderCancelled';
    // Decided well within the TTL, as a checkout would.
    await sleep(between(200, 1_200));
    call.decision = { type };
    call.decision = await this.events.publish(type, req.orderId, 60_000);
  }
}
