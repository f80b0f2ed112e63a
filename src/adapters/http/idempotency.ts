import { createHash } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OUTCOME_GRACE_MS } from '../../application/landed';
import { withinDeadline } from './deadline';
import type { IdempotencyClaim, IdempotencyScope, IdempotencyStorePort } from './ports';
import { ProblemError } from './problems';
import { problemResponses } from './routes/common';
import { IdempotencyHeaders } from './schemas';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while this request holds an Idempotency-Key: its response is stored when sent. */
    idempotencyClaim: IdempotencyClaim | null;
  }
}

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Answers replayed from the store say so. */
export const REPLAYED_HEADER = 'idempotent-replayed';
const MAX_KEY_LENGTH = 255;
/** Response headers a replay repeats (besides the status and body). */
const KEPT_HEADERS = ['content-type', 'location', 'etag'];
const METHODS = new Set(['POST', 'PUT']);

/**
 * The key is a Structured Field string (`"8e03978e-..."`, draft-ietf-httpapi-idempotency-key-header);
 * an unquoted token is accepted as well. Printable ASCII, 1..255 characters.
 */
export function parseIdempotencyKey(raw: string | string[]): string {
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  const trimmed = value.trim();
  const key = /^"(.*)"$/.test(trimmed) ? trimmed.slice(1, -1).replace(/\\(["\\])/g, '$1') : trimmed;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    throw new ProblemError(
      'validation-error',
      `The Idempotency-Key header must be 1-${MAX_KEY_LENGTH} printable ASCII characters`,
      { errors: [{ in: 'headers', pointer: '/idempotency-key', code: 'format', message: 'invalid key' }] },
    );
  }
  return key;
}

/** Key order does not change a JSON body. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function bodyFingerprint(body: unknown): string {
  return createHash('sha256')
    .update(body === undefined ? '' : JSON.stringify(canonical(body)))
    .digest('base64url');
}

/**
 * Idempotency-Key on every POST and PUT. The first request with a key runs and its response (status,
 * body, Content-Type/Location/ETag) is stored before it is sent; a repeat with the same body gets that
 * response again (`Idempotent-Replayed: true`) and changes nothing; the same key with another body is a
 * 422, a repeat while the first still runs a 409. Keys are per caller (token subject), method and path.
 * Runs after authentication and validation: a 401/403/400 claims no key. A 5xx response releases the
 * key so that a retry runs again.
 */
export function registerIdempotency(app: FastifyInstance, store: IdempotencyStorePort): void {
  app.decorateRequest('idempotencyClaim', null);

  // Documents (and bounds) the header on every POST and PUT registered after this, with its problems.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => METHODS.has(m)) || !route.schema || route.schema.hide) return;
    const headers = route.schema.headers;
    route.schema.headers =
      headers instanceof z.ZodObject
        ? headers.extend(IdempotencyHeaders.shape)
        : (headers ?? IdempotencyHeaders);
    const responses = (route.schema.response ?? {}) as Record<string, unknown>;
    route.schema.response = { ...problemResponses(409, 422), ...responses };
  });

  app.addHook('preHandler', async (request, reply) => {
    if (!METHODS.has(request.method)) return;
    const raw = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (raw === undefined || !request.principal) return;
    const scope: IdempotencyScope = {
      key: parseIdempotencyKey(raw),
      principal: request.principal.subject,
      method: request.method,
      path: request.url.split('?')[0]!,
    };
    // On the request's own budget: the command that follows gets what the claim left.
    const outcome = await store.begin(scope, bodyFingerprint(request.body), withinDeadline(request));
    switch (outcome.kind) {
      case 'started':
        request.idempotencyClaim = outcome.claim;
        return;
      case 'replay':
        return reply
          .code(outcome.response.status)
          .headers({ ...outcome.response.headers, [REPLAYED_HEADER]: 'true' })
          .send(outcome.response.body);
      case 'mismatch':
        throw new ProblemError(
          'idempotency-key-reused',
          'This Idempotency-Key was already used with another request body',
        );
      case 'in-flight':
        throw new ProblemError(
          'idempotency-key-in-flight',
          'The first request with this Idempotency-Key is still being processed; retry shortly',
          {},
          { 'retry-after': '1' },
        );
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = null;
    // What is left of the request's budget, and at least OUTCOME_GRACE_MS: the answer is decided, and
    // a key left claimed answers its retries 409 until its lease ends.
    const deadline = new Date(Math.max(request.deadline.getTime(), Date.now() + OUTCOME_GRACE_MS));
    try {
      if (reply.statusCode >= 500 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
        await store.abandon(claim, { deadline });
      } else {
        const headers: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        await store.complete(
          claim,
          { status: reply.statusCode, headers, body: payload.toString() },
          { deadline },
        );
      }
    } catch (err) {
      // The response still goes out; the key stays claimed until its lease runs out.
      request.log.error({ err, idempotencyKey: claim.key }, 'storing the idempotent response failed');
    }
    return payload;
  });
}

/** Deletes expired keys every `intervalMs`, a batch at a time; returns a stop function. */
export function startIdempotencyPurge(
  store: IdempotencyStorePort,
  options: { intervalMs: number; batch?: number; log: FastifyBaseLogger },
): () => Promise<void> {
  const batch = options.batch ?? 1000;
  let running: Promise<void> | undefined;
  const purge = async () => {
    let deleted = 0;
    // Bounded: a backlog larger than this is left for the next tick.
    for (let i = 0; i < 100; i++) {
      const n = await store.purgeExpired(batch);
      deleted += n;
      if (n < batch) break;
    }
    if (deleted > 0) options.log.debug({ deleted }, 'expired idempotency keys purged');
  };
  const timer = setInterval(() => {
    running ??= purge()
      .catch((err: unknown) => options.log.warn({ err }, 'purging idempotency keys failed'))
      .finally(() => (running = undefined));
  }, options.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
