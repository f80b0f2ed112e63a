import { ErrorCodes } from '../../../src/domain/errors';
import { PurchaseOrderRequest } from '../../../src/domain/PurchaseOrderRequest';
import { Sku } from '../../../src/domain/Sku';

const T0 = new Date('2030-01-01T10:00:00.000Z');
const T1 = new Date('2030-01-02T10:00:00.000Z');
const ID = '00000000-0000-4000-8000-000000000001';
const sku = Sku.of('po-1');

function opened(available = 3, safetyStock = 10, reorderQuantity = 20) {
  return PurchaseOrderRequest.open({
    id: ID,
    sku,
    levels: { available, safetyStock, reorderQuantity },
    now: T0,
  });
}

describe('PurchaseOrderRequest', () => {
  it('opens with its quantity and one PurchaseOrderRequested in the contract shape', () => {
    const request = opened();
    expect(request).toMatchObject({
      id: ID,
      status: 'OPEN',
      isOpen: true,
      isNew: true,
      hasChanges: true,
      quantity: 27,
      availableAtRequest: 3,
      safetyStock: 10,
      reorderQuantity: 20,
      requestedAt: T0,
      closedAt: null,
      remindersSent: 0,
    });
    expect(request.pullEvents()).toEqual([
      {
        type: 'PurchaseOrderRequested',
        sku: 'PO-1',
        occurredAt: T0,
        data: {
          sku: 'PO-1',
          available: 3,
          safetyStock: 10,
          quantity: 27,
          requestId: ID,
          reorderQuantity: 20,
        },
      },
    ]);
    expect(request.pullEvents()).toEqual([]);
  });

  it('refuses to open while stock is not below safety stock', () => {
    expect(() => opened(10, 10)).toThrow(expect.objectContaining({ code: ErrorCodes.INVARIANT_VIOLATION }));
  });

  it('reminds with the current levels, the same quantity and the reminder number', () => {
    const request = opened();
    request.pullEvents();
    expect(request.remind({ available: 1, safetyStock: 10, reorderQuantity: 20 }, T1)).toBe(1);
    expect(request.remind({ available: 0, safetyStock: 12, reorderQuantity: 20 }, T1)).toBe(2);
    expect(request.pullEvents().map((e) => e.data)).toEqual([
      expect.objectContaining({ available: 1, safetyStock: 10, quantity: 27, requestId: ID, reminder: 1 }),
      expect.objectContaining({ available: 0, safetyStock: 12, quantity: 27, requestId: ID, reminder: 2 }),
    ]);
    expect(request.remindersSent).toBe(2);
  });

  it('closes once; a closed request neither closes again nor reminds', () => {
    const request = opened();
    expect(request.close(T1)).toBe(true);
    expect(request).toMatchObject({ status: 'CLOSED', closedAt: T1, isOpen: false });
    expect(request.close(T1)).toBe(false);
    expect(() => request.remind({ available: 0, safetyStock: 10, reorderQuantity: 0 }, T1)).toThrow(
      expect.objectContaining({ code: ErrorCodes.ILLEGAL_TRANSITION }),
    );
  });

  it('restores without events and refuses inconsistent stored state', () => {
    const props = {
      id: ID,
      sku,
      status: 'OPEN' as const,
      quantity: 5,
      availableAtRequest: 1,
      safetyStock: 3,
      reorderQuantity: 3,
      requestedAt: T0,
      closedAt: null,
      remindersSent: 2,
    };
    const restored = PurchaseOrderRequest.restore(props);
    expect(restored).toMatchObject({ isNew: false, hasChanges: false, loadedRemindersSent: 2 });
    expect(restored.pullEvents()).toEqual([]);
    expect(() => PurchaseOrderRequest.restore({ ...props, closedAt: T1 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVARIANT_VIOLATION }),
    );
    expect(() => PurchaseOrderRequest.restore({ ...props, quantity: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVARIANT_VIOLATION }),
    );
  });
});
