import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of the test's own on 127.0.0.1, between a client and a shared server (RabbitMQ,
 * Postgres). `cut()` resets every proxied connection and refuses new ones (accepted, then reset at once)
 * until `restore()`: from the client's side that is the server going away and coming back, while the
 * shared server that other test files and engineers use stays up. `stall()` keeps every connection open
 * and forwards nothing either way until `resume()`: a server that hangs (stopped, or a network that
 * drops packets), which answers nothing and closes nothing.
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private blocked = false;
  private stalled = false;
  private accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  proxiedUrl(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get isCut(): boolean {
    return this.blocked;
  }

  /** Connections currently proxied. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Connections accepted (and forwarded) since start. */
  get acceptedConnections(): number {
    return this.accepted;
  }

  cut(): void {
    this.blocked = true;
    for (const [client, upstream] of this.pairs) {
      TcpProxy.reset(client);
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /**
   * RST, unless the socket is already ending (its peer closed, and the pipe ended it): libuv refuses a
   * reset while a shutdown is in progress, and Node then never closes the handle, so the process spins
   * at 100 % CPU when it exits (node::Environment::CleanupHandles waits for it forever).
   */
  private static reset(socket: Socket): void {
    if (socket.writableEnded) socket.destroy();
    else socket.resetAndDestroy();
  }

  restore(): void {
    this.blocked = false;
  }

  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream).pause();
      upstream.unpipe(client).pause();
    }
  }

  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) TcpProxy.forward(pair);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.blocked) {
      TcpProxy.reset(client);
      return;
    }
    this.accepted++;
    client.setNoDelay(true);
    const upstream = createConnection({ host: target.host, port: target.port, noDelay: true });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const teardown = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);
    if (this.stalled) {
      client.pause();
      upstream.pause();
    } else TcpProxy.forward(pair);
  }

  private static forward([client, upstream]: [Socket, Socket]): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** host and port of an amqp:// URL. */
export function amqpTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5672) };
}
