import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { PurchaseOrderQueries } from '../ports';
import { PurchaseOrderPage, PurchaseOrdersQuery } from '../schemas';
import { bearer, problemResponses, type Authorize } from './common';

export interface PurchaseOrderRoutesOptions {
  inventory: PurchaseOrderQueries;
  authorize: Authorize;
}

/** Operators' list of purchase-order requests (the Temporal Web UI shows the same, see docs/purchase-orders.md). */
export const purchaseOrderRoutes: FastifyPluginAsyncZod<PurchaseOrderRoutesOptions> = async (app, opts) => {
  const { inventory, authorize } = opts;

  app.get(
    '/purchase-orders',
    {
      onRequest: authorize('inventory:read'),
      schema: {
        tags: ['inventory'],
        summary: 'Purchase-order requests, newest first',
        description:
          "Requests raised when a SKU's available stock fell below its safety stock (`PurchaseOrderRequested`). " +
          '`status=open` (default) lists those waiting for a replenishment, at most one per SKU. Pass ' +
          '`nextCursor` back as `cursor` for the next page; null on the last page.',
        security: bearer('inventory:read'),
        querystring: PurchaseOrdersQuery,
        response: { 200: PurchaseOrderPage, ...problemResponses() },
      },
    },
    async (request) => inventory.listPurchaseOrders(request.query),
  );
};
