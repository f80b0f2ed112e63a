import { type DomainError, ErrorCodes } from '../../../src/domain/errors';
import { OrderId } from '../../../src/domain/OrderId';
import { Quantity } from '../../../src/domain/Quantity';
import { Reservation, reservationInconsistencies } from '../../../src/domain/Reservation';
import { Sku } from '../../../src/domain/Sku';
import { ReservationMother } from '../../support/mothers/ReservationMother';

const now = new Date('2030-01-01T10:00:00.000Z');
const later = new Date('2030-01-01T10:01:00.000Z');
const expiresAt = new Date('2030-01-01T10:15:00.000Z');
const line = (sku: string, quantity: number) => ({ sku: Sku.of(sku), quantity: Quantity.of(quantity) });
const statuses = (r: Reservation) => Object.fromEntries(r.lines.map((l) => [l.sku.value, l.status]));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as DomainError).code;
  }
  return undefined;
}

describe('Reservation', () => {
  it('is created RESERVED with every line reserved', () => {
    const r = Reservation.create({
      orderId: OrderId.of('o-1'),
      lines: [line('A', 1), line('B', 2)],
      expiresAt,
      now,
    });
    expect(r).toMatchObject({
      status: 'RESERVED',
      releaseReason: null,
      expiresAt,
      createdAt: now,
      updatedAt: now,
      isNew: true,
      isOpen: true,
    });
    expect(statuses(r)).toEqual({ A: 'RESERVED', B: 'RESERVED' });
  });

  it('needs at least one line and no SKU twice', () => {
    const base = { orderId: OrderId.of('o-1'), expiresAt, now };
    expect(codeOf(() => Reservation.create({ ...base, lines: [] }))).toBe(ErrorCodes.INVALID_LINES);
    expect(codeOf(() => Reservation.create({ ...base, lines: [line('a', 1), line('A', 2)] }))).toBe(
      ErrorCodes.INVALID_LINES,
    );
  });

  it('lets another SKU of the same order join while open, keeping its expiry', () => {
    const r = ReservationMother.open([{ sku: 'A', quantity: 1 }]);
    const expiry = r.expiresAt;
    r.addLines([line('B', 3)], later);
    expect(statuses(r)).toEqual({ A: 'RESERVED', B: 'RESERVED' });
    expect(r.expiresAt).toBe(expiry);
    expect(r.updatedAt).toBe(later);
    expect(codeOf(() => r.addLines([line('A', 1)], later))).toBe(ErrorCodes.INVALID_LINES);
  });

  describe('confirm', () => {
    it('commits every still-reserved line and returns them', () => {
      const r = ReservationMother.open([
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 2, status: 'RELEASED' },
        { sku: 'C', quantity: 3 },
      ]);
      const committed = r.confirm(later);
      expect(committed.map((l) => [l.sku.value, l.quantity.value])).toEqual([
        ['A', 1],
        ['C', 3],
      ]);
      expect(r.status).toBe('CONFIRMED');
      expect(statuses(r)).toEqual({ A: 'CONFIRMED', B: 'RELEASED', C: 'CONFIRMED' });
      expect(r.hasChanges).toBe(true);
    });

    it.each([ReservationMother.confirmed, () => ReservationMother.released('expired')])(
      'is illegal once closed',
      (make) => {
        const r = make();
        expect(codeOf(() => r.confirm(later))).toBe(ErrorCodes.ILLEGAL_TRANSITION);
        expect(r.hasChanges).toBe(false);
      },
    );
  });

  describe('release', () => {
    it('releases every reserved line with the reason', () => {
      const r = ReservationMother.open([
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 2 },
      ]);
      const released = r.release('cancelled', later);
      expect(released.map((l) => l.sku.value)).toEqual(['A', 'B']);
      expect(r).toMatchObject({ status: 'RELEASED', releaseReason: 'cancelled', isOpen: false });
      expect(statuses(r)).toEqual({ A: 'RELEASED', B: 'RELEASED' });
    });

    it('releases one SKU line and stays open while another is reserved', () => {
      const r = ReservationMother.open([
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 2 },
      ]);
      expect(r.release('released', later, Sku.of('a')).map((l) => l.quantity.value)).toEqual([1]);
      expect(r).toMatchObject({ status: 'RESERVED', releaseReason: null });
      expect(statuses(r)).toEqual({ A: 'RELEASED', B: 'RESERVED' });

      r.release('expired', later, Sku.of('B'));
      expect(r).toMatchObject({ status: 'RELEASED', releaseReason: 'expired' });
    });

    it('refuses an unknown line and a line already released', () => {
      const r = ReservationMother.open([
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 2, status: 'RELEASED' },
      ]);
      expect(codeOf(() => r.release('released', later, Sku.of('Z')))).toBe(ErrorCodes.LINE_NOT_FOUND);
      expect(codeOf(() => r.release('released', later, Sku.of('B')))).toBe(ErrorCodes.ILLEGAL_TRANSITION);
    });

    it.each([ReservationMother.confirmed, () => ReservationMother.released('cancelled')])(
      'is illegal once closed',
      (make) => {
        const r = make();
        expect(codeOf(() => r.release('released', later))).toBe(ErrorCodes.ILLEGAL_TRANSITION);
        expect(codeOf(() => r.addLines([line('NEW', 1)], later))).toBe(ErrorCodes.ILLEGAL_TRANSITION);
      },
    );
  });

  describe('restore', () => {
    it('rebuilds without changes', () => {
      const r = ReservationMother.open([{ sku: 'A', quantity: 1 }]);
      expect(r).toMatchObject({ isNew: false, hasChanges: false });
    });

    it.each([
      [
        'RELEASED without reason',
        {
          status: 'RELEASED' as const,
          releaseReason: null,
          lines: [{ sku: 'A', quantity: 1, status: 'RELEASED' as const }],
        },
      ],
      ['RESERVED with a reason', { status: 'RESERVED' as const, releaseReason: 'expired' as const }],
      [
        'RESERVED without a reserved line',
        { status: 'RESERVED' as const, lines: [{ sku: 'A', quantity: 1, status: 'RELEASED' as const }] },
      ],
      [
        'CONFIRMED with a reserved line',
        { status: 'CONFIRMED' as const, lines: [{ sku: 'A', quantity: 1, status: 'RESERVED' as const }] },
      ],
      ['no line', { lines: [] }],
    ])('refuses inconsistent stored state: %s', (_label, params) => {
      expect(codeOf(() => ReservationMother.restored(params))).toBe(ErrorCodes.INVARIANT_VIOLATION);
    });
  });
});

describe('reservationInconsistencies (the rule restore and ledger:check apply)', () => {
  it.each([
    ['RESERVED', null, ['RESERVED']],
    ['RESERVED', null, ['RELEASED', 'RESERVED']],
    ['CONFIRMED', null, ['CONFIRMED', 'RELEASED']],
    ['RELEASED', 'expired', ['RELEASED', 'RELEASED']],
    // closedBeforeReserve: a cancel that overtook its reserve.
    ['RELEASED', 'cancelled', []],
  ] as const)('accepts what the transitions reach: %s %s %j', (status, releaseReason, lineStatuses) => {
    expect(reservationInconsistencies({ status, releaseReason, lineStatuses })).toEqual([]);
  });

  it.each([
    ['RESERVED', null, [], ['has no lines']],
    ['RESERVED', null, ['RELEASED'], ['is RESERVED but none of its lines is']],
    ['RESERVED', null, ['RESERVED', 'CONFIRMED'], ['is RESERVED but 1 line(s) are CONFIRMED']],
    ['CONFIRMED', null, ['RELEASED'], ['is CONFIRMED but none of its lines is']],
    ['RELEASED', 'cancelled', ['RESERVED'], ['is RELEASED but 1 line(s) are still RESERVED']],
    ['RELEASED', null, ['RELEASED'], ['is RELEASED without a release reason']],
    ['CONFIRMED', 'expired', ['CONFIRMED'], ['is CONFIRMED but has the release reason expired']],
  ] as const)('names what is wrong with %s %s %j', (status, releaseReason, lineStatuses, problems) => {
    expect(reservationInconsistencies({ status, releaseReason, lineStatuses })).toEqual(problems);
  });
});
