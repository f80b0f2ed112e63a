import { EventEmitter } from 'node:events';
import amqp, { type ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import { backoffDelay, errorMessage, sleep, type BackoffOptions } from '../shared/backoff';

export interface AmqpConnectionOptions {
  url: string;
  /** Shown in the management UI (connection_name) and in logs. */
  name: string;
  logger: Logger;
  /** Added to the URL unless it already has one: detects a dead peer that never closed the socket. */
  heartbeatSeconds?: number;
  /** Between reconnection attempts. */
  backoff?: BackoffOptions;
  /** TCP connect + AMQP handshake timeout (ms). */
  connectTimeoutMs?: number;
}

/** Runs on every (re)connection before it is handed out: topology, channels, consumers. */
export type ConnectionSetup = (connection: ChannelModel) => Promise<void>;

export class BrokerUnavailableError extends Error {
  constructor(message = 'RabbitMQ connection is not available') {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5_000 };

function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * One AMQP connection kept alive for the life of the process. amqplib does not reconnect by itself:
 * when the socket drops or the broker restarts, this reconnects with exponential backoff and jitter
 * and replays the registered setups (topology, channels, consumers) on the new connection.
 *
 * Always with `noDelay`: without it Nagle's algorithm holds small frames and publish→consume goes
 * from ~1 ms to 30–40 ms at p95 (MACHINE.md).
 *
 * Events: 'connected' (ChannelModel), 'disconnected' (Error | undefined).
 */
export class AmqpConnection extends EventEmitter {
  private readonly url: string;
  private readonly setups: ConnectionSetup[] = [];
  private readonly backoff: BackoffOptions;
  private readonly abort = new AbortController();
  private connection: ChannelModel | undefined;
  private running: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: AmqpConnectionOptions) {
    super();
    this.url = withHeartbeat(options.url, options.heartbeatSeconds ?? 10);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  get name(): string {
    return this.options.name;
  }

  /** The live connection, if any. */
  get current(): ChannelModel | undefined {
    return this.connection;
  }

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  get lastErrorMessage(): string | undefined {
    return this.lastError;
  }

  /** Registered setups run, in order, on each new connection; a failing setup drops that connection. */
  addSetup(setup: ConnectionSetup): void {
    this.setups.push(setup);
  }

  /** Starts connecting in the background (idempotent). */
  start(): void {
    if (this.abort.signal.aborted) throw new Error(`AMQP connection ${this.name} is closed`);
    this.running ??= this.loop();
  }

  /** Resolves with the live connection, waiting for the next one if there is none right now. */
  waitForConnection(timeoutMs?: number): Promise<ChannelModel> {
    if (this.connection) return Promise.resolve(this.connection);
    return this.nextConnection(timeoutMs);
  }

  /** Resolves on the next successful (re)connection, even if one is live now. */
  nextConnection(timeoutMs?: number): Promise<ChannelModel> {
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              cleanup();
              reject(new BrokerUnavailableError(`no RabbitMQ connection within ${timeoutMs} ms`));
            }, timeoutMs);
      const onConnected = (c: ChannelModel) => {
        cleanup();
        resolve(c);
      };
      const onAbort = () => {
        cleanup();
        reject(new BrokerUnavailableError(`AMQP connection ${this.name} closed`));
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        this.off('connected', onConnected);
        this.abort.signal.removeEventListener('abort', onAbort);
      };
      if (this.abort.signal.aborted) return onAbort();
      this.on('connected', onConnected);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Drops the current connection (e.g. after a channel failed in an unknown state); a new one follows. */
  reset(reason: string): void {
    const c = this.connection;
    if (!c) return;
    this.options.logger.warn({ connection: this.name, reason }, 'resetting RabbitMQ connection');
    c.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    const c = this.connection;
    this.connection = undefined;
    if (c) await c.close().catch(() => undefined);
    await this.running;
  }

  private async loop(): Promise<void> {
    const { logger } = this.options;
    const signal = this.abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let candidate: ChannelModel | undefined;
      try {
        candidate = await amqp.connect(this.url, {
          noDelay: true,
          timeout: this.options.connectTimeoutMs ?? 10_000,
          clientProperties: { connection_name: this.name },
        });
        const c = candidate;
        // Without a listener an 'error' event would crash the process; 'close' always follows it.
        c.on('error', (err: Error) => {
          this.lastError = errorMessage(err);
          logger.warn({ connection: this.name, err: this.lastError }, 'RabbitMQ connection error');
        });
        const closed = new Promise<Error | undefined>((resolve) => c.once('close', resolve));
        for (const setup of this.setups) await setup(c);
        if (signal.aborted) {
          await c.close().catch(() => undefined);
          break;
        }
        this.connection = c;
        this.lastError = undefined;
        if (attempt > 0) logger.info({ connection: this.name, attempts: attempt }, 'RabbitMQ reconnected');
        else logger.info({ connection: this.name, url: redactUrl(this.options.url) }, 'RabbitMQ connected');
        attempt = 0;
        this.emit('connected', c);
        const reason = await closed;
        this.connection = undefined;
        if (signal.aborted) break;
        this.lastError = reason ? errorMessage(reason) : 'connection closed';
        logger.warn({ connection: this.name, err: this.lastError }, 'RabbitMQ connection lost; reconnecting');
        this.emit('disconnected', reason);
      } catch (err) {
        this.connection = undefined;
        this.lastError = errorMessage(err);
        await candidate?.close().catch(() => undefined);
        if (signal.aborted) break;
        logger.warn({ connection: this.name, err: this.lastError, attempt }, 'RabbitMQ connect failed');
      }
      await sleep(backoffDelay(attempt++, this.backoff), signal);
    }
  }
}
