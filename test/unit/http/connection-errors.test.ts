import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { buildOpsApp } from '../../../src/adapters/http/opsApp';
import { startHttpServer, type HttpServerHandle } from '../../../src/adapters/http/server';
import { PROBLEM_TYPE, testApp, token, type TestApp } from './fakes';

/**
 * Errors that Node's HTTP server answers before (or instead of) Fastify's router, over a real
 * socket: `inject` never goes through the parser.
 */

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the HTTP/1.1 responses (Content-Length framed) the server wrote before closing. */
function parseResponses(bytes: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`incomplete response: ${rest.toString('latin1').slice(0, 200)}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.subarray(end + 4, end + 4 + length).toString('utf8');
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.subarray(end + 4 + length);
  }
  return responses;
}

/** Writes raw bytes and collects everything the server sends until it closes the connection. */
function rawExchange(port: number, ...chunks: (string | Buffer)[]): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseResponses(Buffer.concat(received)));
      } catch (err) {
        reject(err as Error);
      }
    });
    for (const chunk of chunks) socket.write(chunk);
  });
}

function expectRawProblem(res: RawResponse, status: number, slug: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  expect(body).toMatchObject({ type: PROBLEM_TYPE(slug), status, title: expect.any(String) });
  return body;
}

describe('connection-level errors are problem+json', () => {
  let t: TestApp;
  let server: HttpServerHandle;
  beforeEach(async () => {
    t = testApp();
    server = await startHttpServer(t.app, { host: '127.0.0.1', port: 0 });
  });
  afterEach(() => server.close());

  it('answers 431 problem+json to a 60 KB Authorization header (through a real HTTP client)', async () => {
    const res = await new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/inventory/SKU-1`,
        { headers: { authorization: `Bearer ${'a'.repeat(60 * 1024)}` } },
        (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (chunk: string) => (body += chunk));
          r.on('end', () =>
            resolve({ status: r.statusCode ?? 0, headers: r.headers as Record<string, string>, body }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    const body = expectRawProblem(res, 431, 'request-header-fields-too-large');
    expect(res.body.length).toBeLessThan(1000);
    expect(body.detail).toMatch(/headers/);
    expect(t.fake.calls).toEqual([]);
  });

  it.each([
    ['an unknown method', 'FOO /inventory/SKU-1 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['bytes that are not HTTP', '\u0000\u0001garbage\r\n\r\n'],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /reservations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
  ])('answers 400 problem+json to %s', async (_what, bytes) => {
    const [res, ...more] = await rawExchange(server.port, bytes);
    const body = expectRawProblem(res, 400, 'malformed-request');
    expect(body.code).toMatch(/^HPE_/);
    expect(more).toEqual([]);
  });

  it('answers 400 problem+json to an HTTP/1.1 request without Host, before authentication', async () => {
    const [res] = await rawExchange(
      server.port,
      'GET /inventory/SKU-1 HTTP/1.1\r\nConnection: close\r\n\r\n',
    );
    expect(expectRawProblem(res, 400, 'malformed-request').detail).toMatch(/Host/);
  });

  it('still serves HTTP/1.0 requests without Host', async () => {
    const [res] = await rawExchange(server.port, 'GET /health/live HTTP/1.0\r\n\r\n');
    expect(res.status).toBe(200);
  });

  it('answers 417 problem+json to an Expect it cannot meet, without running the route', async () => {
    const admin = await token('inventory:admin');
    const [res] = await rawExchange(
      server.port,
      `PUT /inventory/SKU-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n` +
        'Content-Type: application/json\r\nExpect: tea\r\nContent-Length: 12\r\n\r\n{"onHand":1}',
    );
    expect(expectRawProblem(res, 417, 'expectation-failed').instance).toBe('/inventory/SKU-1');
    expect(t.fake.calls).toEqual([]);
  });

  it('answers 503 problem+json with Retry-After to a request that arrives while the server drains', async () => {
    const read = await token('inventory:read');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    t.fake.levels.set('SKU-1', { onHand: 3, reserved: 0, safetyStock: 0, reorderQuantity: 0 });
    const original = t.fake.getStockLevel.bind(t.fake);
    t.fake.getStockLevel = async (sku) => {
      entered();
      await gate;
      return original(sku);
    };
    let requestsSeen = 0;
    let secondSeen!: () => void;
    const secondArrived = new Promise<void>((r) => (secondSeen = r));
    t.app.server.on('request', () => {
      if (++requestsSeen === 2) secondSeen();
    });
    const get = `GET /inventory/SKU-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${read}\r\n\r\n`;
    const socket = connect(server.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.write(get);
    await inFlight;
    const closing = server.close();
    // Pipelined behind the request in flight, so it reaches the router after close() began.
    socket.write(get);
    // Its answer is queued behind the first one's.
    await secondArrived;
    release();
    await closed;
    await closing;
    const [first, second] = parseResponses(Buffer.concat(received));
    expect(first.status).toBe(200);
    expectRawProblem(second, 503, 'service-unavailable');
    expect(second.headers['retry-after']).toBe('1');
    expect(t.fake.calls.filter((c) => c.method === 'getStockLevel')).toHaveLength(1);
  });
});

describe('the ops listener (processes without the api role) answers connection-level errors alike', () => {
  let server: HttpServerHandle;
  beforeEach(async () => {
    server = await startHttpServer(buildOpsApp({ healthChecks: {} }), { host: '127.0.0.1', port: 0 });
  });
  afterEach(() => server.close());

  it('431 for a 60 KB header, 400 for bytes that are not HTTP, 400 without Host', async () => {
    const [overflow] = await rawExchange(
      server.port,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(60 * 1024)}\r\n\r\n`,
    );
    expectRawProblem(overflow!, 431, 'request-header-fields-too-large');
    const [garbage] = await rawExchange(server.port, '\u0000\u0001garbage\r\n\r\n');
    expectRawProblem(garbage!, 400, 'malformed-request');
    const [noHost] = await rawExchange(server.port, 'GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n');
    expectRawProblem(noHost!, 400, 'malformed-request');
  });
});
