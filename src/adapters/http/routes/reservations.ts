import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../problems';
import { reservationFromReserve, reservationLocation } from '../outcomes';
import type { HttpInventoryService, ReservationOrchestratorPort } from '../ports';
import { OrderIdParams, Reservation, ReservationsBody } from '../schemas';
import { bearer, problemResponses, type Authorize } from './common';

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
        response: { 200: Reservation, 201: Reservation, ...problemResponses(404, 409, 410, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { orderId, lines, ttlSeconds } = request.body;
      const outcome = await orchestrator.reserve({ orderId, lines, ttlSeconds });
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
};
