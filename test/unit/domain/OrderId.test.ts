import { ErrorCodes } from '../../../src/domain/errors';
import { OrderId } from '../../../src/domain/OrderId';

describe('OrderId', () => {
  it.each(['o', 'order-1', 'A.b_c:d-9', 'x'.repeat(128)])('accepts %s as is (case kept)', (raw) => {
    expect(OrderId.of(raw).value).toBe(raw);
  });

  it.each(['', 'x'.repeat(129), 'has space', 'slash/no', 'emoji😀', 7, undefined])('rejects %p', (raw) => {
    expect(() => OrderId.of(raw)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ORDER_ID }));
  });
});
