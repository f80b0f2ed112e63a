import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { otlpTracesProtocol } from '../../../tracing';
import { OtlpSink } from '../../support/otlpSink';

/**
 * OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_EXPORTER_OTLP_TRACES_PROTOCOL pick the exporter, checked end to end:
 * a process configured by the environment alone exports one span to a receiver this test runs.
 */

const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const FIXTURE = join(__dirname, 'fixtures', 'emit-span.ts');

/** Exports one span named `spanName`; resolves with its trace id. */
function emitSpan(env: Record<string, string>, spanName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [FIXTURE], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SPAN_NAME: spanName, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 && /^[0-9a-f]{32}$/.test(out.trim())
        ? resolve(out.trim())
        : reject(new Error(`fixture exited ${code}: ${err || out}`)),
    );
  });
}

/** A stand-in OTLP/gRPC collector: keeps each ExportTraceServiceRequest's bytes, answers an empty response. */
async function grpcSink(): Promise<{ endpoint: string; requests: Buffer[]; close(): Promise<void> }> {
  const requests: Buffer[] = [];
  const raw = (b: Buffer) => b;
  const service: ServiceDefinition = {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  };
  const server = new Server();
  server.addService(service, {
    Export: (call: { request: Buffer }, callback: (err: null, response: Buffer) => void) => {
      requests.push(call.request);
      callback(null, Buffer.alloc(0));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

const spanName = () => `protocol-test-${randomBytes(4).toString('hex')}`;
/** A protobuf ExportTraceServiceRequest holds the trace id as 16 raw bytes and the name as UTF-8. */
const protobufHas = (bytes: Buffer, traceId: string, name: string) =>
  bytes.includes(Buffer.from(traceId, 'hex')) && bytes.includes(Buffer.from(name, 'utf8'));

describe('OTLP protocol from the environment', () => {
  let http: OtlpSink;
  beforeAll(async () => {
    http = await OtlpSink.start();
  });
  afterAll(() => http.close());

  it('http/json when no protocol is set (the default this service always had)', async () => {
    const name = spanName();
    const traceId = await emitSpan({ OTEL_EXPORTER_OTLP_ENDPOINT: http.endpoint }, name);
    const exported = http.exports.filter((e) => e.bytes.includes(Buffer.from(name)));
    expect(exported.map((e) => [e.path, e.contentType])).toEqual([['/v1/traces', 'application/json']]);
    expect(http.trace(traceId).map((s) => s.name)).toEqual([name]);
  }, 60_000);

  it('http/protobuf: protobuf over HTTP to /v1/traces', async () => {
    const name = spanName();
    const traceId = await emitSpan(
      { OTEL_EXPORTER_OTLP_ENDPOINT: http.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
      name,
    );
    const exported = http.exports.filter((e) => e.bytes.includes(Buffer.from(name)));
    expect(exported.map((e) => [e.path, e.contentType])).toEqual([['/v1/traces', 'application/x-protobuf']]);
    expect(protobufHas(exported[0]!.bytes, traceId, name)).toBe(true);
  }, 60_000);

  it('grpc: the TraceService Export call', async () => {
    const grpc = await grpcSink();
    try {
      const name = spanName();
      const traceId = await emitSpan(
        { OTEL_EXPORTER_OTLP_ENDPOINT: grpc.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
        name,
      );
      expect(grpc.requests.filter((r) => protobufHas(r, traceId, name))).toHaveLength(1);
      expect(http.exports.some((e) => e.bytes.includes(Buffer.from(name)))).toBe(false);
    } finally {
      await grpc.close();
    }
  }, 60_000);

  it('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL wins over OTEL_EXPORTER_OTLP_PROTOCOL', async () => {
    const name = spanName();
    await emitSpan(
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${http.endpoint}/v1/traces`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      },
      name,
    );
    const exported = http.exports.filter((e) => e.bytes.includes(Buffer.from(name)));
    expect(exported.map((e) => e.contentType)).toEqual(['application/x-protobuf']);
  }, 60_000);

  it('refuses a protocol outside the spec, naming the variable', () => {
    expect(otlpTracesProtocol({})).toBe('http/json');
    expect(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: ' grpc ' })).toBe('grpc');
    expect(() => otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: unsupported protocol "thrift"; use one of grpc, http\/protobuf, http\/json/,
    );
    expect(() =>
      otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http' }),
    ).toThrow(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: unsupported/);
  });
});
