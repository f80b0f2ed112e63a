import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../problems';
import { reservationFromReserve, reservationLocation } from '../outcomes';
import type { HttpInventoryService, ReservationOrchestratorPort } from '../ports';
import { ExtendBody, OrderIdParams, Reservation, ReservationsBody } from '../schemas';
import { bearer, problemResponses, type Authorize } from './common';
import { withinDeadline } from '../deadline';

export interface ReservationRoutesOptions {
  inventory: HttpInventoryService;
  orchestrator: ReservationOrchestratorPort;
  authorize: Authorize;
}

export const reservationRoutes: FastifyPluginAsyncZod<ReservationRoutesOptions> = async (app, opts) => {
  const { inventory, orchestrator, authorize } = opts;
  const tags = ['reservations'];

  app.post(
    '/reservations',
    {
      onRequest: authorize('inventory:reserve'),
      schema: {
        tags,
        summary: 'Reserve every line of an order, or none',
        description:
          '201 when reserved; 200 on an identical repeat; 404 `sku-not-found` naming the unknown SKUs; 409 ' +
          '`insufficient-stock` naming every short line with its available; 410 when already released or confirmed.',
        security: bearer('inventory:reserve'),
        body: ReservationsBody,
        response: { 200: Reservation, 201: Reservation, ...problemResponses(404, 409, 410, 413, 415) },
      },
    },
    async (request, reply) => {
      const { orderId, lines, ttlSeconds } = request.body;
      const deadline = request.deadline.toISOString();
      const outcome = await orchestrator.reserve({ orderId, lines, ttlSeconds, deadline });
      const { status, reservation } = reservationFromReserve(outcome);
      if (status === 201) reply.header('location', reservationLocation(orderId));
      return reply.code(status).send(reservation);
    },
  );

  app.get(
    '/reservations/:orderId',
    {
      onRequest: authorize('inventory:read'),
      schema: {
        tags,
        summary: "An order's reservation",
        security: bearer('inventory:read'),
        params: OrderIdParams,
        response: { 200: Reservation, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const reservation = await inventory.getReservation(orderId);
      if (!reservation)
        throw new ProblemError('reservation-not-found', `No reservation for order ${orderId}`);
      return reservation;
    },
  );

  app.post(
    '/reservations/:orderId/extend',
    {
      onRequest: authorize('inventory:reserve'),
      schema: {
        tags,
        summary: "Extend an order's reservation",
        description:
          'Moves `expiresAt` to `ttlSeconds` from now, never past the maximum age after `createdAt` ' +
          '(RESERVATION_MAX_AGE_SECONDS) and never earlier than it is. 410 when the reservation is released, ' +
          'confirmed or already past its expiry.',
        security: bearer('inventory:reserve'),
        params: OrderIdParams,
        body: ExtendBody,
        response: { 200: Reservation, ...problemResponses(404, 410, 413, 415) },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const outcome = await orchestrator.extend(
        { orderId, ttlSeconds: request.body.ttlSeconds },
        withinDeadline(request),
      );
      switch (outcome.kind) {
        case 'extended':
          return outcome.reservation;
        case 'not-found':
          throw new ProblemError('reservation-not-found', `No reservation for order ${orderId}`);
        case 'reservation-closed':
          throw new ProblemError(
            'reservation-closed',
            outcome.reservation.status === 'RESERVED'
              ? `The reservation of order ${orderId} expired at ${outcome.reservation.expiresAt}`
              : `The reservation of order ${orderId} is ${outcome.reservation.status}`,
            { reservation: outcome.reservation },
          );
      }
    },
  );
};
