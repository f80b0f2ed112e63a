import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpExport {
  path: string;
  contentType: string;
  bytes: Buffer;
}

/** OTLP span kinds (the wire enum, not the API's). */
export const OtlpSpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** One span of an OTLP/JSON export, flattened: ids in hex, attribute values unwrapped. */
export interface ExportedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  /** The resource's service.name. */
  service: string;
  attributes: Record<string, unknown>;
  startTimeUnixNano: bigint;
}

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpJsonExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano: string | number;
        attributes?: OtlpKeyValue[];
      }[];
    }[];
  }[];
}

function unwrap(value: OtlpAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(unwrap);
  return undefined;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, unwrap(kv.value)]));
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

  /**
   * Every span received so far, decoded from the OTLP/JSON payloads (the encoding of
   * @opentelemetry/exporter-trace-otlp-http); protobuf payloads are skipped.
   */
  spans(): ExportedSpan[] {
    const spans: ExportedSpan[] = [];
    for (const e of this.exports) {
      if (!e.contentType.includes('json')) continue;
      const doc = JSON.parse(e.bytes.toString('utf8')) as OtlpJsonExport;
      for (const rs of doc.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
        for (const ss of rs.scopeSpans ?? []) {
          for (const span of ss.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              service,
              attributes: attributesOf(span.attributes),
              startTimeUnixNano: BigInt(span.startTimeUnixNano),
            });
          }
        }
      }
    }
    return spans;
  }

  /** The spans of one trace (hex id), in start order. */
  trace(traceIdHex: string): ExportedSpan[] {
    return this.spans()
      .filter((s) => s.traceId === traceIdHex)
      .sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
