import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * RFC 9457 problem details. `type` URIs are part of the published API: clients branch on them, so
 * a slug, once shipped, never changes meaning.
 */
export const PROBLEM_BASE = 'https://inventory-service/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemTypes = {
  'validation-error': { status: 400, title: 'Request validation failed' },
  'malformed-request': { status: 400, title: 'Malformed request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Insufficient scope' },
  'not-found': { status: 404, title: 'No such resource' },
  'sku-not-found': { status: 404, title: 'Unknown SKU' },
  'reservation-not-found': { status: 404, title: 'No reservation for this order' },
  'reservation-line-not-found': { status: 404, title: 'The reservation has no line for this SKU' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'insufficient-stock': { status: 409, title: 'Insufficient stock' },
  'quantity-conflict': { status: 409, title: 'Conflicts with an existing reservation line' },
  'on-hand-below-reserved': { status: 409, title: 'On hand would fall below reserved' },
  'on-hand-limit-exceeded': { status: 409, title: 'On hand would exceed its limit' },
  conflict: { status: 409, title: 'Conflict' },
  'idempotency-key-in-flight': {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'This Idempotency-Key was used with another request',
  },
  'reservation-closed': { status: 410, title: 'The reservation is already released or confirmed' },
  'precondition-failed': { status: 412, title: 'The If-Match precondition does not hold' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'uri-too-long': { status: 414, title: 'A path parameter is too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'expectation-failed': { status: 417, title: 'Expectation failed' },
  'request-header-fields-too-large': { status: 431, title: 'Request header fields too large' },
  'internal-error': { status: 500, title: 'Internal server error' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  'deadline-exceeded': { status: 503, title: 'Not done within the deadline: nothing was reserved' },
} as const;

export type ProblemType = keyof typeof ProblemTypes;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

const clip = (text: string, max = 1000) => (text.length > max ? `${text.slice(0, max)}…` : text);

export function problem(
  type: ProblemType,
  detail?: string,
  extensions: Record<string, unknown> = {},
): Problem {
  const { status, title } = ProblemTypes[type];
  return {
    type: PROBLEM_BASE + type,
    title,
    status,
    ...(detail ? { detail: clip(detail) } : {}),
    ...extensions,
  };
}

/** A problem raised from a handler or hook; the error handler renders it. */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(type: ProblemType, detail?: string, extensions?: Record<string, unknown>, headers = {}) {
    super(detail ?? ProblemTypes[type].title);
    this.name = 'ProblemError';
    this.problem = problem(type, detail, extensions);
    this.headers = headers;
  }
}

/**
 * Sends a problem as a pre-serialised string so no response schema or serializer can fail while
 * rendering an error.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, p: Problem): FastifyReply {
  const body: Problem = { ...p, instance: p.instance ?? clip(request.url, 2048) };
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
