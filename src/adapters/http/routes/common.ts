import type { onRequestAsyncHookHandler } from 'fastify';
import type { Scope } from '../auth';
import { PROBLEM_CONTENT_TYPE, ProblemTypes } from '../problems';
import { Problem } from '../schemas';

export type Authorize = (scope: Scope) => onRequestAsyncHookHandler;

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: see `errors`',
  401: 'Missing, invalid or expired bearer token',
  403: 'The token lacks the required scope',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  412: 'If-Match does not hold: `level` is the current StockLevel',
  413: 'Body too large',
  415: 'Body is not application/json',
  422: 'Idempotency-Key already used with another body',
  503: 'A dependency is unavailable, or did not answer within REQUEST_DEADLINE_MS: nothing was changed; retry',
};

/**
 * OpenAPI declarations of a route's problem responses (rendered by the error handler). Every route
 * reads or writes Postgres, so each one may answer 503 (bounded by REQUEST_DEADLINE_MS) besides 400,
 * 401 and 403.
 */
export function problemResponses(...statuses: number[]) {
  const all = [...new Set([400, 401, 403, ...statuses, 503])];
  return Object.fromEntries(
    all.map((status) => {
      const types = Object.entries(ProblemTypes)
        .filter(([, t]) => t.status === status)
        .map(([slug]) => `\`${slug}\``)
        .join(', ');
      return [
        status,
        {
          description: `${DESCRIPTIONS[status] ?? 'Error'} (problem types: ${types})`,
          content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } },
        },
      ];
    }),
  );
}

/** The security requirement of a protected operation; scopes listed as role names (OpenAPI 3.1). */
export const bearer = (scope: Scope) => [{ bearerAuth: [scope] }];
