import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { problem, PROBLEM_CONTENT_TYPE, sendProblem, type Problem } from './problems';

/**
 * Answers that Node's HTTP server, not Fastify's router, would write: header overflow (431), parse
 * errors (400), header timeouts (408), a missing Host (400), an unmet Expect (417) and requests that
 * arrive while the server drains (503). Each is a problem document like every other error.
 */

type ConnectionError = Error & { code?: string };

function connectionProblem(error: ConnectionError): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(
        'request-header-fields-too-large',
        'The request line and headers exceed the server limit; send a shorter token or fewer headers',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem('request-timeout', 'The request headers did not arrive in time');
    default:
      // llhttp messages are fixed strings ("Parse Error: Invalid method encountered"), never input.
      return problem('malformed-request', `Not a valid HTTP/1.1 request: ${error.message}`, {
        ...(error.code ? { code: error.code } : {}),
      });
  }
}

/** The response as bytes, for the socket that has no request or reply object to send it through. */
export function rawProblemResponse(p: Problem, headers: Record<string, string> = {}): string {
  const body = JSON.stringify(p);
  const lines = [
    `HTTP/1.1 ${p.status} ${p.title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Fastify's `clientErrorHandler`: the parser gave up on the bytes, so write the answer raw. */
export function clientErrorHandler(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ err: { code: error.code, message: error.message } }, 'client error');
  if (socket.writable) socket.write(rawProblemResponse(connectionProblem(error)));
  socket.destroy();
}

function writeProblem(res: ServerResponse, p: Problem) {
  const body = JSON.stringify(p);
  res.writeHead(p.status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/**
 * Fastify options that hand these answers to this module: spread them into every app's options and
 * call problemConnectionErrors on the instance.
 */
export const connectionErrorOptions = {
  return503OnClosing: false,
  http: { requireHostHeader: false },
  clientErrorHandler,
};

const draining = new WeakSet<FastifyInstance>();

/**
 * Called by the server right before `app.close()`: from then on new requests get 503. (A `preClose`
 * hook would do, but any such hook defers Fastify's `server.close()` by a tick, long enough to accept
 * connections that the close then resets.)
 */
export function markDraining(app: FastifyInstance): void {
  draining.add(app);
}

/**
 * Hooks on the app and its server for the answers Node would otherwise write itself. Fastify's own
 * 503-on-closing must be off (`return503OnClosing: false`) and Node's Host check too
 * (`requireHostHeader: false`): both are reproduced here as problem documents.
 */
export function problemConnectionErrors(app: FastifyInstance): void {
  // Callback style: this runs on every request, and the hot path pays no promise for it.
  app.addHook('onRequest', (request, reply, done) => {
    if (draining.has(app)) {
      reply.header('retry-after', '1');
      sendProblem(
        request,
        reply,
        problem('service-unavailable', 'The server is shutting down; retry on another instance'),
      );
      return;
    }
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
      sendProblem(request, reply, problem('malformed-request', 'An HTTP/1.1 request needs a Host header'));
      return;
    }
    done();
  });
  // Node answers an Expect other than 100-continue with an empty 417 unless someone listens.
  app.server.on('checkExpectation', (request: IncomingMessage, res: ServerResponse) => {
    writeProblem(res, {
      ...problem('expectation-failed', 'Only "Expect: 100-continue" is supported'),
      instance: (request.url ?? '').slice(0, 2048),
    });
  });
}
