import { ErrorCodes } from '../../../src/domain/errors';
import { Quantity } from '../../../src/domain/Quantity';

describe('Quantity', () => {
  it.each([1, 2, 999_999, 1_000_000])('accepts %d', (n) => {
    expect(Quantity.of(n).value).toBe(n);
  });

  it.each([0, -1, 1_000_001, 1.5, NaN, Infinity, '3', null])('rejects %p', (raw) => {
    expect(() => Quantity.of(raw)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_QUANTITY }));
  });

  it('has value equality', () => {
    expect(Quantity.of(3).equals(Quantity.of(3))).toBe(true);
    expect(Quantity.of(3).equals(Quantity.of(4))).toBe(false);
  });
});
