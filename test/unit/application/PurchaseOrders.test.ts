import { ErrorCodes } from '../../../src/domain/errors';
import { inMemoryInventory } from '../../support/fakes';

type Env = ReturnType<typeof inMemoryInventory>;

/** A SKU with these levels and nothing in the outbox yet. */
async function withSku(levels: { onHand: number; safetyStock: number; reorderQuantity?: number }, sku = 'A') {
  const env = inMemoryInventory();
  await env.service.setLevels({ sku, ...levels });
  env.tables().outbox.length = 0;
  return env;
}

const requested = (env: Env) => env.tables().outbox.filter((m) => m.type === 'PurchaseOrderRequested');
const requests = (env: Env) => [...env.tables().purchaseOrders.values()];
const open = (env: Env) => requests(env).filter((r) => r.status === 'OPEN');
let order = 0;
const reserve = (env: Env, quantity: number, sku = 'A') =>
  env.service.reserve({ orderId: `o-${++order}`, lines: [{ sku, quantity }] });

describe('purchase-order requests (safety stock)', () => {
  it('a reservation crossing below safety stock opens one request and records PurchaseOrderRequested after StockReserved', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 5, reorderQuantity: 20 });
    await reserve(env, 5);
    expect(requested(env)).toHaveLength(0);

    await reserve(env, 2);

    const [request] = open(env);
    expect(request).toMatchObject({
      quantity: 22,
      availableAtRequest: 3,
      safetyStock: 5,
      reorderQuantity: 20,
    });
    expect(env.tables().outbox.map((m) => m.type)).toEqual([
      'StockReserved',
      'StockReserved',
      'PurchaseOrderRequested',
    ]);
    expect(requested(env)[0]).toMatchObject({
      partitionKey: 'A',
      data: {
        sku: 'A',
        available: 3,
        safetyStock: 5,
        quantity: 22,
        requestId: request!.id,
        reorderQuantity: 20,
      },
    });
  });

  it('further reservations, releases and confirmations keep the one open request', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 8 });
    await reserve(env, 3);
    await reserve(env, 1);
    await env.service.release({ orderId: `o-${order}`, reason: 'released' });
    await env.service.confirm({ orderId: `o-${order - 1}` });
    expect(requests(env)).toHaveLength(1);
    expect(open(env)).toHaveLength(1);
    expect(requested(env)).toHaveLength(1);
  });

  it('a release back above safety stock does not close the request: only a replenishment does', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 8 });
    await reserve(env, 5);
    await env.service.release({ orderId: `o-${order}`, reason: 'cancelled' });
    expect(open(env)).toHaveLength(1);
  });

  it('replenishing back to safety stock closes the request; the next crossing opens a new one', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 5, reorderQuantity: 5 });
    await reserve(env, 7);
    const first = open(env)[0]!;

    const partial = await env.service.replenish({ sku: 'A', quantity: 1 });
    expect(partial).toMatchObject({
      level: { available: 4, openPurchaseOrder: { id: first.id, quantity: 7 } },
    });
    expect(open(env)).toHaveLength(1);

    env.clock.advance(60);
    const full = await env.service.replenish({ sku: 'A', quantity: 1 });
    expect(full).toMatchObject({ level: { available: 5, openPurchaseOrder: null } });
    expect(env.tables().purchaseOrders.get(first.id)).toMatchObject({
      status: 'CLOSED',
      closedAt: env.clock.now(),
    });
    expect(open(env)).toHaveLength(0);

    await reserve(env, 1);
    expect(open(env)).toHaveLength(1);
    expect(open(env)[0]!.id).not.toBe(first.id);
    expect(requested(env)).toHaveLength(2);
  });

  it('creating a SKU below its safety stock opens a request at once', async () => {
    const env = inMemoryInventory();
    const outcome = await env.service.setLevels({ sku: 'N', onHand: 2, safetyStock: 5, reorderQuantity: 10 });
    expect(outcome).toMatchObject({
      kind: 'created',
      level: { openPurchaseOrder: { quantity: 13, available: 2, safetyStock: 5 } },
    });
    expect(env.tables().outbox.map((m) => m.type)).toEqual(['PurchaseOrderRequested']);
  });

  it('setting levels opens (count down, safety stock up) and closes (count up, safety stock down)', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 5 });
    await env.service.setLevels({ sku: 'A', onHand: 4 });
    expect(open(env)).toHaveLength(1);
    await env.service.setLevels({ sku: 'A', onHand: 9 });
    expect(open(env)).toHaveLength(0);
    await env.service.setLevels({ sku: 'A', onHand: 9, safetyStock: 12 });
    expect(open(env)).toHaveLength(1);
    const lowered = await env.service.setLevels({ sku: 'A', onHand: 9, safetyStock: 9 });
    expect(lowered).toMatchObject({ level: { openPurchaseOrder: null } });
    expect(open(env)).toHaveLength(0);
    expect(requests(env)).toHaveLength(2);
    expect(requested(env)).toHaveLength(2);
  });

  it('an unchanged count of a SKU below safety stock without a request opens one; repeating it does not', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 0 });
    // As if the SKU had been below safety stock before requests existed.
    env.tables().stock.get('A')!.safetyStock = 20;
    await env.service.setLevels({ sku: 'A', onHand: 10 });
    await env.service.setLevels({ sku: 'A', onHand: 10 });
    expect(requests(env)).toHaveLength(1);
  });

  it('the reserve path looks requests up only for SKUs left below safety stock', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 3 });
    const before = env.unitOfWork.purchaseOrderRepositories.length;
    await reserve(env, 7);
    const lookups = env.unitOfWork.purchaseOrderRepositories.slice(before).flatMap((r) => r.lookups);
    expect(lookups).toEqual([]);
    await reserve(env, 1);
    expect(env.unitOfWork.purchaseOrderRepositories.at(-1)!.lookups).toEqual([['A']]);
  });

  it('a failing commit rolls the request back with the reservation', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 5 });
    env.unitOfWork.beforeNextCommit(() => {
      throw new Error('disk full');
    });
    await expect(reserve(env, 6)).rejects.toThrow('disk full');
    expect(requests(env)).toHaveLength(0);
    expect(env.tables().outbox).toHaveLength(0);
  });

  it('GET shows the open request', async () => {
    const env = await withSku({ onHand: 10, safetyStock: 5, reorderQuantity: 1 });
    expect(await env.service.getStockLevel('a')).toMatchObject({ openPurchaseOrder: null });
    await reserve(env, 6);
    const request = open(env)[0]!;
    expect(await env.service.getStockLevel('a')).toMatchObject({
      openPurchaseOrder: {
        id: request.id,
        quantity: 2,
        available: 4,
        safetyStock: 5,
        requestedAt: env.clock.now().toISOString(),
      },
    });
  });

  describe('reminders', () => {
    async function withOpenRequest() {
      const env = await withSku({ onHand: 10, safetyStock: 5, reorderQuantity: 5 });
      await reserve(env, 6);
      env.tables().outbox.length = 0;
      return { env, request: open(env)[0]! };
    }

    it('re-announces an open request with the current levels and counts it', async () => {
      const { env, request } = await withOpenRequest();
      await reserve(env, 2);
      env.tables().outbox.length = 0;
      const outcome = await env.service.remindPurchaseOrder({ sku: 'a', requestId: request.id, reminder: 1 });
      expect(outcome).toEqual({ kind: 'reminded', reminder: 1, available: 2 });
      expect(env.tables().outbox).toEqual([
        expect.objectContaining({
          type: 'PurchaseOrderRequested',
          data: {
            sku: 'A',
            available: 2,
            safetyStock: 5,
            quantity: 6,
            requestId: request.id,
            reorderQuantity: 5,
            reminder: 1,
          },
        }),
      ]);
      expect(env.tables().purchaseOrders.get(request.id)).toMatchObject({ remindersSent: 1 });
    });

    it('is idempotent per reminder number (a retried activity)', async () => {
      const { env, request } = await withOpenRequest();
      await env.service.remindPurchaseOrder({ sku: 'A', requestId: request.id, reminder: 1 });
      const again = await env.service.remindPurchaseOrder({ sku: 'A', requestId: request.id, reminder: 1 });
      expect(again).toMatchObject({ kind: 'reminded', reminder: 1 });
      expect(requested(env)).toHaveLength(1);
      await env.service.remindPurchaseOrder({ sku: 'A', requestId: request.id, reminder: 2 });
      expect(requested(env).map((m) => m.data.reminder)).toEqual([1, 2]);
    });

    it('answers closed, with no event, once a replenishment closed the request', async () => {
      const { env, request } = await withOpenRequest();
      await env.service.replenish({ sku: 'A', quantity: 100 });
      env.tables().outbox.length = 0;
      expect(await env.service.remindPurchaseOrder({ sku: 'A', requestId: request.id, reminder: 1 })).toEqual(
        {
          kind: 'closed',
        },
      );
      expect(env.tables().outbox).toEqual([]);
    });

    it('answers not-found for an unknown request or another SKU', async () => {
      const { env, request } = await withOpenRequest();
      await env.service.setLevels({ sku: 'B', onHand: 1 });
      const unknown = '00000000-0000-4000-8000-0000000000ff';
      expect(await env.service.remindPurchaseOrder({ sku: 'A', requestId: unknown, reminder: 1 })).toEqual({
        kind: 'not-found',
      });
      expect(await env.service.remindPurchaseOrder({ sku: 'B', requestId: request.id, reminder: 1 })).toEqual(
        {
          kind: 'not-found',
        },
      );
    });

    it.each([
      [{ sku: 'A', requestId: 'nope', reminder: 1 }, ErrorCodes.INVALID_REQUEST_ID],
      [
        { sku: 'A', requestId: '00000000-0000-4000-8000-000000000001', reminder: 0 },
        ErrorCodes.INVALID_QUANTITY,
      ],
      [{ sku: '', requestId: '00000000-0000-4000-8000-000000000001', reminder: 1 }, ErrorCodes.INVALID_SKU],
    ])('validates %p', async (command, code) => {
      const { env } = await withOpenRequest();
      await expect(env.service.remindPurchaseOrder(command)).rejects.toMatchObject({ code });
    });
  });

  describe('listing', () => {
    async function history() {
      const env = inMemoryInventory();
      for (const sku of ['A', 'B', 'C']) {
        await env.service.setLevels({ sku, onHand: 1, safetyStock: 5 });
        env.clock.advance(1);
      }
      await env.service.replenish({ sku: 'B', quantity: 10 });
      return env;
    }

    it('lists open requests newest first by default; closed and all on request', async () => {
      const env = await history();
      const skus = async (status?: 'open' | 'closed' | 'all') =>
        (await env.service.listPurchaseOrders({ status })).items.map((i) => `${i.sku}:${i.status}`);
      expect(await skus()).toEqual(['C:OPEN', 'A:OPEN']);
      expect(await skus('closed')).toEqual(['B:CLOSED']);
      expect(await skus('all')).toEqual(['C:OPEN', 'B:CLOSED', 'A:OPEN']);
      const [c] = (await env.service.listPurchaseOrders({})).items;
      expect(c).toEqual({
        id: expect.any(String),
        sku: 'C',
        status: 'OPEN',
        quantity: 4,
        available: 1,
        safetyStock: 5,
        reorderQuantity: 0,
        requestedAt: expect.any(String),
        closedAt: null,
        remindersSent: 0,
      });
    });

    it('pages with an opaque cursor', async () => {
      const env = await history();
      const first = await env.service.listPurchaseOrders({ status: 'all', limit: 2 });
      expect(first.items.map((i) => i.sku)).toEqual(['C', 'B']);
      expect(first.nextCursor).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
      const second = await env.service.listPurchaseOrders({
        status: 'all',
        limit: 2,
        cursor: first.nextCursor!,
      });
      expect(second).toEqual({ items: [expect.objectContaining({ sku: 'A' })], nextCursor: null });
    });

    it.each([
      [{ status: 'pending' as never }, ErrorCodes.INVALID_STATUS_FILTER],
      [{ limit: 0 }, ErrorCodes.INVALID_LIMIT],
      [{ cursor: 'garbage' }, ErrorCodes.INVALID_CURSOR],
      [{ cursor: btoa('m1:12') }, ErrorCodes.INVALID_CURSOR],
    ])('validates %p', async (query, code) => {
      const env = await history();
      await expect(env.service.listPurchaseOrders(query)).rejects.toMatchObject({ code });
    });
  });
});
