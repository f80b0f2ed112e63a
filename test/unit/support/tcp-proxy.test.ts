import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { TcpProxy } from '../../support/tcp-proxy';

/**
 * The fault tests' proxy must close every socket it cut. A reset of a socket whose shutdown is still
 * in flight (its peer closed, and Node ended it) is refused by libuv, and Node then never closes the
 * handle: the socket never emits 'close', and the process spins at 100 % CPU on exit (seen as a Jest
 * run of test/e2e/hung-postgres.test.ts that printed its results and never ended).
 */
describe('TcpProxy.cut', () => {
  let server: Server;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('closes a connection whose client has just closed its side (shutdown in flight)', async () => {
    const accepted = new Promise<Socket>((resolve) =>
      (proxy as unknown as { server: Server }).server.once('connection', resolve),
    );
    const client = createConnection({ host: '127.0.0.1', port: proxy.port });
    client.on('error', () => undefined);
    const proxySide = await accepted;
    await new Promise((resolve) => client.once('connect', resolve));

    const closed = new Promise<string>((resolve) => proxySide.once('close', () => resolve('closed')));
    const cutWhileEnding = new Promise<boolean>((resolve) =>
      // Node ends the proxy's side on the next tick after 'end' (no half-open sockets); cut right after.
      proxySide.once('end', () =>
        process.nextTick(() =>
          process.nextTick(() => {
            const ending = proxySide.writableEnded && !proxySide.writableFinished;
            proxy.cut();
            resolve(ending);
          }),
        ),
      ),
    );
    client.end();

    expect(await cutWhileEnding).toBe(true);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      closed,
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open after 2 s'), 2_000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('closed');
    client.destroy();
    proxy.restore();
  });
});
