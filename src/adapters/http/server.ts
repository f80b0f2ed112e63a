import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { markDraining } from './connectionErrors';

export interface HttpServerHandle {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (new requests on kept-alive
   * connections get 503), closes idle sockets, runs the app's onClose hooks and resolves. After
   * `graceMs` the remaining connections are cut.
   */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Longest wait for in-flight requests on close; default 10 s (SHUTDOWN_GRACE_MS). */
  graceMs?: number;
}

export async function startHttpServer(
  app: FastifyInstance,
  options: HttpServerOptions,
): Promise<HttpServerHandle> {
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const graceMs = options.graceMs ?? 10_000;
  let closing: Promise<void> | undefined;

  const close = () => {
    closing ??= (async () => {
      const timer = setTimeout(() => {
        app.log.warn({ graceMs }, 'shutdown grace period over: closing remaining HTTP connections');
        app.server.closeAllConnections();
      }, graceMs);
      // A keep-alive connection whose in-flight request just finished would otherwise hold close()
      // until the client's keep-alive timeout: reap connections as soon as they turn idle.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 25);
      timer.unref();
      reaper.unref();
      try {
        markDraining(app);
        await app.close();
      } finally {
        clearTimeout(timer);
        clearInterval(reaper);
      }
    })();
    return closing;
  };

  return { url: `http://${host}:${address.port}`, port: address.port, close };
}
