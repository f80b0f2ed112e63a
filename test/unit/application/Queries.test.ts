import { ErrorCodes } from '../../../src/domain/errors';
import { encodeCursor } from '../../../src/application/input';
import { inMemoryInventory } from '../../support/fakes';

describe('queries', () => {
  it('getStockLevel answers the level or null; validates the SKU', async () => {
    const { service } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 3 });
    expect(await service.getStockLevel('a')).toMatchObject({
      sku: 'A',
      onHand: 3,
      available: 3,
      openPurchaseOrder: null,
    });
    expect(await service.getStockLevel('B')).toBeNull();
    await expect(service.getStockLevel('#')).rejects.toMatchObject({ code: ErrorCodes.INVALID_SKU });
  });

  it('getReservation answers the reservation or null; validates the order id', async () => {
    const { service } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 3 });
    await service.reserve({ orderId: 'o-1', lines: [{ sku: 'A', quantity: 1 }] });
    expect(await service.getReservation('o-1')).toMatchObject({ orderId: 'o-1', status: 'RESERVED' });
    expect(await service.getReservation('O-1')).toBeNull();
    await expect(service.getReservation('bad id')).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ORDER_ID,
    });
  });

  describe('listMovements', () => {
    async function ledgerOf(count: number) {
      const env = inMemoryInventory();
      await env.service.setLevels({ sku: 'A', onHand: 1 });
      for (let i = 1; i < count; i++) await env.service.replenish({ sku: 'A', quantity: i });
      await env.service.setLevels({ sku: 'OTHER', onHand: 1 });
      return env;
    }

    it('pages newest first with an opaque cursor until the end', async () => {
      const { service } = await ledgerOf(7);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await service.listMovements({ sku: 'A', limit: 3, cursor });
        expect(page).not.toBeNull();
        seen.push(...page!.items.map((m) => m.id));
        cursor = page!.nextCursor ?? undefined;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toHaveLength(7);
      expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a));
    });

    it('answers nextCursor null when the page holds the last movement exactly', async () => {
      const { service } = await ledgerOf(3);
      expect(await service.listMovements({ sku: 'A', limit: 3 })).toMatchObject({ nextCursor: null });
    });

    it('defaults to 50 items', async () => {
      const { service } = await ledgerOf(55);
      const page = await service.listMovements({ sku: 'A' });
      expect(page!.items).toHaveLength(50);
      expect(page!.nextCursor).not.toBeNull();
    });

    it('maps movements to the contract shape', async () => {
      const { service } = await ledgerOf(2);
      const page = await service.listMovements({ sku: 'A' });
      expect(page!.items[0]).toEqual({
        id: expect.any(String),
        sku: 'A',
        type: 'REPLENISH',
        quantity: 1,
        onHandAfter: 2,
        reservedAfter: 0,
        occurredAt: expect.any(String),
      });
      expect(page!.items[1]).toMatchObject({ type: 'ADJUST', reason: 'created' });
    });

    it('answers null for an unknown SKU', async () => {
      const { service } = inMemoryInventory();
      expect(await service.listMovements({ sku: 'NOPE' })).toBeNull();
    });

    it.each([
      [{ sku: 'A', limit: 0 }, ErrorCodes.INVALID_LIMIT],
      [{ sku: 'A', limit: 201 }, ErrorCodes.INVALID_LIMIT],
      [{ sku: 'A', cursor: 'not a cursor' }, ErrorCodes.INVALID_CURSOR],
      [{ sku: 'A', cursor: Buffer.from('m1:abc').toString('base64url') }, ErrorCodes.INVALID_CURSOR],
      [
        { sku: 'A', cursor: Buffer.from('m1:99999999999999999999').toString('base64url') },
        ErrorCodes.INVALID_CURSOR,
      ],
      [{ sku: 'A', cursor: Buffer.from('7').toString('base64url') }, ErrorCodes.INVALID_CURSOR],
      [{ sku: '', cursor: encodeCursor('5') }, ErrorCodes.INVALID_SKU],
    ])('validates %p', async (query, code) => {
      const { service } = await ledgerOf(2);
      await expect(service.listMovements(query)).rejects.toMatchObject({ code });
    });
  });
});
