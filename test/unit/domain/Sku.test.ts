import { ErrorCodes, ValidationError } from '../../../src/domain/errors';
import { Sku } from '../../../src/domain/Sku';

describe('Sku', () => {
  it.each(['A', '9', 'abc-123', 'SKU.1_2-3', 'x'.repeat(64)])('accepts %s, stored upper-case', (raw) => {
    expect(Sku.of(raw).value).toBe(raw.toUpperCase());
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['leading dot', '.ABC'],
    ['leading dash', '-ABC'],
    ['leading underscore', '_ABC'],
    ['space', 'AB C'],
    ['slash', 'AB/C'],
    ['non-ASCII that upper-cases to ASCII', 'ıtem'],
    ['non-string', 42],
    ['undefined', undefined],
  ])('rejects %s with INVENTORY.INVALID_SKU', (_label, raw) => {
    expect(() => Sku.of(raw)).toThrow(ValidationError);
    try {
      Sku.of(raw);
    } catch (err) {
      expect((err as ValidationError).code).toBe(ErrorCodes.INVALID_SKU);
    }
  });

  it('compares case-insensitively through normalisation', () => {
    expect(Sku.of('abc').equals(Sku.of('ABC'))).toBe(true);
    expect(Sku.of('abc').equals(Sku.of('ABD'))).toBe(false);
  });
});
