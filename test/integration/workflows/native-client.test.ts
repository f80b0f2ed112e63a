import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { NativeClientSource } from '../../../src/adapters/temporal/connection';
import { hostPort } from '../../support/services';
import { installRuntime } from '../../support/temporal';

jest.setTimeout(60_000);

const temporal = hostPort(process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', 7233);

/** A port with nothing behind it until forward() starts passing its connections to the dev server. */
class Gate {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port: number) {}

  static async reserve(): Promise<Gate> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new Gate(port);
  }

  async forward(): Promise<void> {
    this.server = createServer((inbound) => {
      const outbound = connect(temporal.port, temporal.host);
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => this.sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('NativeClientSource (the dispatchers’ Temporal client)', () => {
  beforeAll(() => installRuntime());

  it('fails a call while Temporal cannot be reached, connects on a later call, and refuses after close()', async () => {
    const gate = await Gate.reserve();
    const source = new NativeClientSource({ address: `127.0.0.1:${gate.port}`, namespace: 'default' });
    try {
      await expect(source.client()).rejects.toThrow();

      await gate.forward();
      const client = await source.client();
      const info = await client.workflowService.describeNamespace({ namespace: 'default' });
      expect(info.namespaceInfo?.name).toBe('default');
      // The same client serves the next pass: one connection, not one per call.
      await expect(source.client()).resolves.toBe(client);
    } finally {
      await source.close();
      await gate.close();
    }
    await expect(source.client()).rejects.toThrow('closed');
  });
});
