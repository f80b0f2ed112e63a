import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { etagOf, noneMatchFails, parseIfMatch, preconditionFailed } from '../conditional';
import { StockCount } from '../../../domain/StockCount';
import { ProblemError } from '../problems';
import { reservationFromRelease, reservationFromReserve, reservationLocation } from '../outcomes';
import type { HttpInventoryService, ReservationOrchestratorPort } from '../ports';
import {
  AdjustmentBody,
  ConditionalReadHeaders,
  ConditionalWriteHeaders,
  InventoryListQuery,
  MovementPage,
  MovementsQuery,
  ReleaseBody,
  ReplenishBody,
  Reservation,
  ReserveBody,
  SetLevelsBody,
  SkuParams,
  StockLevel,
  StockLevelBatch,
  StockLevelPage,
} from '../schemas';
import { bearer, problemResponses, type Authorize } from './common';
import { withinDeadline } from '../deadline';

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
        description:
          '201 when the SKU is created, 200 when its levels are set; 409 if onHand < reserved. Levels are ' +
          `integers 0..${StockCount.MAX}. With \`If-Match\` (the level's ETag) the write happens only while the ` +
          'level is still at that version: 412 otherwise, with the current level.',
        security: bearer('inventory:admin'),
        params: SkuParams,
        headers: ConditionalWriteHeaders,
        body: SetLevelsBody,
        response: { 200: StockLevel, 201: StockLevel, ...problemResponses(409, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const outcome = await inventory.setLevels(
        { sku, ...request.body, ...(ifMatch !== undefined ? { ifMatch } : {}) },
        withinDeadline(request),
      );
      switch (outcome.kind) {
        case 'created':
          return reply
            .code(201)
            .header('location', `/inventory/${encodeURIComponent(sku)}`)
            .header('etag', etagOf(outcome.level))
            .send(outcome.level);
        case 'updated':
          return reply.code(200).header('etag', etagOf(outcome.level)).send(outcome.level);
        case 'precondition-failed':
          throw preconditionFailed(sku, outcome.level);
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
        description:
          "The `ETag` is the level's version: send it as `If-None-Match` for a 304 while nothing changed, " +
          'or as `If-Match` on a write.',
        security: bearer('inventory:read'),
        params: SkuParams,
        headers: ConditionalReadHeaders,
        response: {
          200: StockLevel,
          304: z.null().describe('Not modified: the level still has the ETag of If-None-Match'),
          ...problemResponses(404),
        },
      },
    },
    async (request, reply) => {
      const level = await inventory.getStockLevel(request.params.sku);
      if (!level) throw skuNotFound(request.params.sku);
      const etag = etagOf(level);
      reply.header('etag', etag);
      if (noneMatchFails(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return level;
    },
  );

  app.get(
    '/inventory',
    {
      onRequest: authorize('inventory:read'),
      schema: {
        tags,
        summary: 'Stock levels of several SKUs, or the SKUs under their safety stock',
        description:
          '`?sku=A&sku=B` (or `?sku=A,B`, up to 100): `{ items, unknown }`, one StockLevel per known SKU in the ' +
          'order asked and the unknown SKUs apart, read in one query. `?below=safety`: `{ items, nextCursor }`, ' +
          'the SKUs whose available stock is under their safety stock, by SKU; pass `nextCursor` back as ' +
          '`cursor` for the next page.',
        security: bearer('inventory:read'),
        querystring: InventoryListQuery,
        response: { 200: z.union([StockLevelBatch, StockLevelPage]), ...problemResponses() },
      },
    },
    async (request) => {
      const { sku, limit, cursor } = request.query;
      if (sku) return inventory.getStockLevels(sku);
      return inventory.listBelowSafetyStock({ limit, cursor });
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
        response: { 200: Reservation, 201: Reservation, ...problemResponses(404, 409, 410, 413, 415) },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const { orderId, quantity, ttlSeconds } = request.body;
      const outcome = await orchestrator.reserve({
        orderId,
        lines: [{ sku, quantity }],
        ttlSeconds,
        deadline: request.deadline.toISOString(),
      });
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
        response: { 200: Reservation, ...problemResponses(404, 413, 415) },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const { orderId, reason } = request.body;
      request.log.info({ orderId, sku, releaseNote: reason }, 'release requested');
      const outcome = await orchestrator.release(
        { orderId, sku, reason: 'released' },
        withinDeadline(request),
      );
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
        description:
          `On hand never exceeds ${StockCount.MAX} (the limit PUT enforces too): a replenish that would ` +
          'raise it above answers 409 `on-hand-limit-exceeded` (with `onHand` and `max`) and changes nothing.',
        security: bearer('inventory:admin'),
        params: SkuParams,
        body: ReplenishBody,
        response: { 200: StockLevel, ...problemResponses(404, 409, 413, 415) },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const outcome = await inventory.replenish({ sku, ...request.body }, withinDeadline(request));
      if (outcome.kind === 'not-found') throw skuNotFound(sku);
      if (outcome.kind === 'on-hand-limit') {
        throw new ProblemError(
          'on-hand-limit-exceeded',
          `Replenishing ${request.body.quantity} would raise on hand of ${sku} from ${outcome.onHand} above ${outcome.max}`,
          { sku, onHand: outcome.onHand, quantity: request.body.quantity, max: outcome.max },
        );
      }
      return outcome.level;
    },
  );

  app.post(
    '/inventory/:sku/adjustments',
    {
      onRequest: authorize('inventory:admin'),
      schema: {
        tags,
        summary: 'Adjust on hand with a reason',
        description:
          '`delta` (signed) or the counted `onHand`, with a `reason`: one ADJUST movement carrying reason, ' +
          'reference and note, and a `StockAdjusted` event. 409 `on-hand-below-reserved` when on hand would fall ' +
          "below reserved. With `If-Match` (the level's ETag) only while the level is still at that version.",
        security: bearer('inventory:admin'),
        params: SkuParams,
        headers: ConditionalWriteHeaders,
        body: AdjustmentBody,
        response: { 200: StockLevel, ...problemResponses(404, 409, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const { sku } = request.params;
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const outcome = await inventory.adjust(
        { sku, ...request.body, ...(ifMatch !== undefined ? { ifMatch } : {}) },
        withinDeadline(request),
      );
      switch (outcome.kind) {
        case 'adjusted':
          return reply.header('etag', etagOf(outcome.level)).send(outcome.level);
        case 'not-found':
          throw skuNotFound(sku);
        case 'below-reserved':
          throw new ProblemError(
            'on-hand-below-reserved',
            `The adjustment would leave ${outcome.onHand} on hand, below the ${outcome.reserved} units reserved for ${sku}`,
            { sku, onHand: outcome.onHand, reserved: outcome.reserved },
          );
        case 'precondition-failed':
          throw preconditionFailed(sku, outcome.level);
      }
    },
  );
};
