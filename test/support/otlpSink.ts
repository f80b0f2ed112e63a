import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpExport {
  path: string;
  contentType: string;
  bytes: Buffer;
}

/**
 * A stand-in OTLP/HTTP collector on 127.0.0.1: answers 200 to every export and keeps the raw payloads,
 * so a service under test can run with tracing on without a Jaeger or collector being around.
 */
export class OtlpSink {
  readonly exports: OtlpExport[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<OtlpSink> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const sink = new OtlpSink(server, (server.address() as AddressInfo).port);
    server.on('request', (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        sink.exports.push({
          path: req.url ?? '',
          contentType: String(req.headers['content-type'] ?? ''),
          bytes: Buffer.concat(chunks),
        });
        res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') });
        res.end();
      });
    });
    return sink;
  }

  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** True when some exported payload mentions this (hex) trace id, in JSON or protobuf encoding. */
  sawTrace(traceIdHex: string): boolean {
    const binary = Buffer.from(traceIdHex, 'hex');
    return this.exports.some(
      (e) => e.bytes.includes(binary) || e.bytes.toString('utf8').includes(traceIdHex),
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
