import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../problems';
import { reservationFromRelease, reservationFromReserve, reservationLocation } from '../outcomes';
import type { HttpInventoryService, ReservationOrchestratorPort } from '../ports';
import {
  MovementPage,
  MovementsQuery,
  ReleaseBody,
  ReplenishBody,
  Reservation,
  ReserveBody,
  SetLevelsBody,
  SkuParams,
  StockLevel,
} from '../schemas';
import { bearer, problemResponses, type Authorize } from './common';

export interface InventoryRoutesOptions {
  inventory: HttpInventoryService;
  orchestrator: ReservationOrchestratorPort;
  authorize: Authorize;
}

const skuNotFound = (sku: string) => new ProblemError('sku-not-found', `Unknown SKU ${sku}`, { skus: [sku] });

export const inventoryRoutes: FastifyPluginAsyncZod<InventoryRoutesOptions> = async (app, opts) => {
  const { inventory, orchestrator, authorize } = opts;
  const tags = ['inventory'];

  app.put(
    '/inventory/:sku',
    {
      onRequest: authorize('inventory:admin'),
      schema: {
        tags,
        summary: 'Create a SKU, or set its levels',
        description: '201 when the SKU is created, 200 when its levels are set; 409 if onHand < reserved.',
        security: bearer('inventory:admin'),
        params: SkuParams,
        body: SetLevelsBody,
        response: { 200: StockLevel, 201: StockLevel, ...problemResponses(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const outcome = await inventory.setLevels({ sku, ...request.body });
      switch (outcome.kind) {
        case 'created':
          return reply
            .code(201)
            .header('location', `/inventory/${encodeURIComponent(sku)}`)
            .send(outcome.level);
        case 'updated':
          return reply.code(200).send(outcome.level);
        case 'below-reserved':
          throw new ProblemError(
            'on-hand-below-reserved',
            `onHand ${request.body.onHand} is below the ${outcome.reserved} units reserved for ${sku}`,
            { sku, onHand: request.body.onHand, reserved: outcome.reserved },
          );
      }
    },
  );

  app.get(
    '/inventory/:sku',
    {
      onRequest: authorize('inventory:read'),
      schema: {
        tags,
        summary: 'Stock level of a SKU',
        security: bearer('inventory:read'),
        params: SkuParams,
        response: { 200: StockLevel, ...problemResponses(404) },
      },
    },
    async (request) => {
      const level = await inventory.getStockLevel(request.params.sku);
      if (!level) throw skuNotFound(request.params.sku);
      return level;
    },
  );

  app.get(
    '/inventory/:sku/movements',
    {
      onRequest: authorize('inventory:read'),
      schema: {
        tags,
        summary: "A SKU's stock movements, newest first",
        description: 'Pass `nextCursor` back as `cursor` for the next page; null on the last page.',
        security: bearer('inventory:read'),
        params: SkuParams,
        querystring: MovementsQuery,
        response: { 200: MovementPage, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const page = await inventory.listMovements({ sku, ...request.query });
      if (!page) throw skuNotFound(sku);
      return page;
    },
  );

  app.post(
    '/inventory/:sku/reserve',
    {
      onRequest: authorize('inventory:reserve'),
      schema: {
        tags,
        summary: 'Reserve units of one SKU for an order',
        description:
          "Joins the order's reservation. 201 when reserved; 200 with the same body when the same orderId, SKU " +
          'and quantity are repeated; 409 `insufficient-stock` (with `available`) or `quantity-conflict` ' +
          '(a repeat with another quantity); 410 when the reservation is already released or confirmed.',
        security: bearer('inventory:reserve'),
        params: SkuParams,
        body: ReserveBody,
        response: { 200: Reservation, 201: Reservation, ...problemResponses(404, 409, 410, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const { orderId, quantity, ttlSeconds } = request.body;
      const outcome = await orchestrator.reserve({ orderId, lines: [{ sku, quantity }], ttlSeconds });
      const { status, reservation } = reservationFromReserve(outcome, sku);
      if (status === 201) reply.header('location', reservationLocation(orderId));
      return reply.code(status).send(reservation);
    },
  );

  app.post(
    '/inventory/:sku/release',
    {
      onRequest: authorize('inventory:reserve'),
      schema: {
        tags,
        summary: "Release an order's line for this SKU",
        description: 'Repeats, and lines already confirmed, are no-ops answering 200 with the reservation.',
        security: bearer('inventory:reserve'),
        params: SkuParams,
        body: ReleaseBody,
        response: { 200: Reservation, ...problemResponses(404, 413, 415, 503) },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const { orderId, reason } = request.body;
      request.log.info({ orderId, sku, releaseNote: reason }, 'release requested');
      const outcome = await orchestrator.release({ orderId, sku, reason: 'released' });
      return reservationFromRelease(outcome, orderId, sku);
    },
  );

  app.post(
    '/inventory/:sku/replenish',
    {
      onRequest: authorize('inventory:admin'),
      schema: {
        tags,
        summary: 'Add received units to on hand',
        security: bearer('inventory:admin'),
        params: SkuParams,
        body: ReplenishBody,
        response: { 200: StockLevel, ...problemResponses(404, 413, 415) },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const outcome = await inventory.replenish({ sku, ...request.body });
      if (outcome.kind === 'not-found') throw skuNotFound(sku);
      return outcome.level;
    },
  );
};
