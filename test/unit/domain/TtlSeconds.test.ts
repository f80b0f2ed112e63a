import { ErrorCodes } from '../../../src/domain/errors';
import { TtlSeconds } from '../../../src/domain/TtlSeconds';

describe('TtlSeconds', () => {
  it.each([1, 900, 86_400])('accepts %d', (n) => {
    expect(TtlSeconds.of(n).value).toBe(n);
  });

  it.each([0, -5, 86_401, 2.5, '60', null])('rejects %p', (raw) => {
    expect(() => TtlSeconds.of(raw)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_TTL }));
  });

  it('defaults to 900 seconds, or to the fallback given', () => {
    expect(TtlSeconds.default().value).toBe(900);
    expect(TtlSeconds.orDefault(undefined).value).toBe(900);
    expect(TtlSeconds.orDefault(undefined, 60).value).toBe(60);
    expect(TtlSeconds.orDefault(30, 60).value).toBe(30);
    expect(() => TtlSeconds.orDefault(undefined, 0)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_TTL }),
    );
  });

  it('computes the expiry from now', () => {
    const now = new Date('2030-01-01T00:00:00.000Z');
    expect(TtlSeconds.of(90).expiryFrom(now).toISOString()).toBe('2030-01-01T00:01:30.000Z');
  });
});
