import { connect, type Socket } from 'node:net';
import { SERVER_TIMING_HEADER, serverTimingMs } from '../../src/adapters/http/serverTiming';

export interface HttpResponse {
  status: number;
  body: Buffer;
  /** The service's own time for the answer (its Server-Timing header), when it sent one. */
  serverMs?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const SERVER_TIMING_LINE = new RegExp(`\\r\\n${SERVER_TIMING_HEADER}:[ ]*([^\\r]*)`, 'i');

/**
 * One keep-alive HTTP/1.1 connection to 127.0.0.1, one request in flight. Parses only what Fastify
 * sends: a status line, headers with Content-Length, a body. Cheaper than fetch, so the load generator
 * is not what it measures.
 */
export class Connection {
  private socket!: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending?: { resolve: (r: HttpResponse) => void; reject: (e: Error) => void };
  broken = false;

  constructor(private readonly port: number) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = connect({ host: '127.0.0.1', port: this.port }, () => resolve());
      this.socket.setNoDelay(true);
      this.socket.once('error', reject);
      this.socket.on('error', (err) => this.fail(err));
      this.socket.on('close', () => this.fail(new Error('connection closed')));
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    });
  }

  request(raw: Buffer): Promise<HttpResponse> {
    if (this.broken || this.socket.destroyed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(raw);
    });
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private fail(err: Error): void {
    this.broken = true;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffer.toString('latin1', 0, end);
    const length = /\r\ncontent-length:[ ]*(\d+)/i.exec(head);
    if (!length) {
      this.fail(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
      this.socket.destroy();
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffer.length < total) return;
    const serverMs = serverTimingMs(SERVER_TIMING_LINE.exec(head)?.[1]);
    const response = {
      status: Number(head.slice(9, 12)),
      body: this.buffer.subarray(end + 4, total),
      ...(serverMs !== undefined ? { serverMs } : {}),
    };
    this.buffer = this.buffer.length > total ? this.buffer.subarray(total) : Buffer.alloc(0);
    const p = this.pending;
    this.pending = undefined;
    p?.resolve(response);
  }
}

/**
 * Keep-alive connections to one port, opened on demand up to `max`; a request that finds them all busy
 * waits for the next free one (an open loop's latency still counts from its scheduled time).
 */
export class HttpPool {
  private readonly idle: Connection[] = [];
  private readonly waiting: { resolve: (c: Connection) => void; reject: (e: unknown) => void }[] = [];
  private opened = 0;

  constructor(
    readonly port: number,
    private readonly max = 256,
  ) {}

  get connections(): number {
    return this.opened;
  }

  async send(raw: Buffer): Promise<HttpResponse> {
    const conn = await this.acquire();
    try {
      return await conn.request(raw);
    } finally {
      this.release(conn);
    }
  }

  close(): void {
    for (const c of this.idle.splice(0)) c.close();
  }

  private async acquire(): Promise<Connection> {
    // The server closes keep-alive connections that stayed idle (Fastify's keepAliveTimeout).
    for (let free = this.idle.pop(); free; free = this.idle.pop()) {
      if (!free.broken) return free;
      free.close();
      this.opened--;
    }
    if (this.opened < this.max) {
      this.opened++;
      const conn = new Connection(this.port);
      try {
        await conn.open();
      } catch (error) {
        this.opened--;
        throw error;
      }
      return conn;
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(conn: Connection): void {
    const next = this.waiting.shift();
    if (conn.broken) {
      conn.close();
      this.opened--;
      // A waiter gets a fresh connection in its place.
      if (next) this.acquire().then(next.resolve, next.reject);
      return;
    }
    if (next) next.resolve(conn);
    else this.idle.push(conn);
  }
}

/** A complete request with a JSON body, ready to write. */
export function jsonRequest(
  method: string,
  path: string,
  port: number,
  token: string,
  body: unknown,
): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  return Buffer.concat([
    Buffer.from(
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${json.length}\r\nAccept: application/json\r\n\r\n`,
      'latin1',
    ),
    json,
  ]);
}
