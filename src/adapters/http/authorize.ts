import type { FastifyBaseLogger, onRequestAsyncHookHandler } from 'fastify';
import { bearerToken, InvalidTokenError, type Principal, type Scope, type TokenVerifier } from './auth';
import { ProblemError } from './problems';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const REALM = 'inventory-service';

/**
 * Builds the onRequest hook of a protected route. It runs before the body is read, so an
 * unauthenticated caller never gets as far as validation (401/403 before 400/413/415).
 */
export function authorizer(verifier: TokenVerifier, log: FastifyBaseLogger) {
  return (scope: Scope): onRequestAsyncHookHandler =>
    async (request) => {
      const token = bearerToken(request.headers.authorization);
      if (!token) {
        throw new ProblemError(
          'unauthorized',
          'A bearer token is required',
          {},
          {
            'www-authenticate': `Bearer realm="${REALM}", scope="${scope}"`,
          },
        );
      }
      let principal: Principal;
      try {
        principal = await verifier.verify(token);
      } catch (err) {
        if (!(err instanceof InvalidTokenError)) log.warn({ err }, 'token verifier failed');
        const reason = err instanceof InvalidTokenError ? err.message : 'invalid token';
        throw new ProblemError(
          'unauthorized',
          `The bearer token was rejected: ${reason}`,
          {},
          {
            'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${reason.replace(/"/g, "'")}"`,
          },
        );
      }
      if (!principal.scopes.has(scope)) {
        throw new ProblemError(
          'forbidden',
          `This operation requires the scope ${scope}`,
          { requiredScope: scope },
          {
            'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`,
          },
        );
      }
      request.principal = principal;
    };
}
