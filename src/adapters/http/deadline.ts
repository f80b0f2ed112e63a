import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UnitOfWorkOptions } from '../../domain/ports/UnitOfWorkPort';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * When this request must be answered by (REQUEST_DEADLINE_MS from its arrival): one budget for
     * every step of it, the Idempotency-Key's claim and the command or read that follows.
     */
    deadline: Date;
  }
}

/** Sets `request.deadline` on arrival, before authentication, parsing and the key's claim. */
export function registerRequestDeadline(app: FastifyInstance, deadlineMs: number): void {
  app.decorateRequest('deadline', null as unknown as Date);
  app.addHook('onRequest', async (request) => {
    request.deadline = new Date(Date.now() + deadlineMs);
  });
}

/** The request's deadline, as a unit of work's options. */
export function withinDeadline(request: FastifyRequest): Required<Pick<UnitOfWorkOptions, 'deadline'>> {
  return { deadline: request.deadline };
}
