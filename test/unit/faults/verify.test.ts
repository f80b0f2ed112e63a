import type { ReserveCall } from '../../faults/load';
import {
  allowedBy,
  END_GRACE_MS,
  graceScale,
  RECOVERY_GRACE_MS,
  unmatchedEvents,
  verifyCalls,
  type InventoryEvent,
  type Movement,
  type ReservationRow,
  type Snapshot,
} from '../../faults/verify';

/** The fault suite's checks on made-up answers and ledgers: each invariant is caught when broken. */

const T0 = Date.parse('2026-12-01T12:00:00Z');
const noFault = { start: T0 + 600_000, end: T0 + 610_000 };

let nextId = 1;
function movement(type: string, orderId: string, sku: string, quantity: number, at: number): Movement {
  return {
    id: String(nextId++),
    sku,
    type,
    quantity,
    orderId,
    reason: type === 'RELEASE' ? 'expired' : null,
    onHandAfter: 10,
    reservedAfter: 0,
    occurredAt: new Date(at),
  };
}

function call(
  orderId: string,
  outcome: ReserveCall['outcome'],
  extra: Partial<ReserveCall> = {},
): ReserveCall {
  return {
    orderId,
    lines: [{ sku: 'A', quantity: 2 }],
    ttlSeconds: 4,
    outcome,
    sentAt: T0,
    latencyMs: 20,
    retried: false,
    ...extra,
  };
}

function released(orderId: string, reason = 'expired'): ReservationRow {
  return {
    orderId,
    status: 'RELEASED',
    releaseReason: reason,
    expiresAt: new Date(T0 + 4_000),
    lines: [{ sku: 'A', quantity: 2, status: 'RELEASED' }],
  };
}

function snap(reservations: ReservationRow[], movements: Movement[]): Snapshot {
  return {
    reservations: new Map(reservations.map((r) => [r.orderId, r])),
    movements,
    levels: [{ sku: 'A', onHand: 10, reserved: 0 }],
  };
}

describe('fault suite checks', () => {
  it('accept a 201 reserved once and released on time, and a 409 that reserved nothing', () => {
    const verdict = verifyCalls(
      [call('o1', 201), call('o2', 409)],
      snap(
        [released('o1')],
        [movement('RESERVE', 'o1', 'A', 2, T0 + 10), movement('RELEASE', 'o1', 'A', 2, T0 + 4_100)],
      ),
      noFault,
    );
    expect(verdict.violations).toEqual([]);
    expect(verdict.outcomes).toEqual({ '201': 1, '409': 1 });
  });

  it('flag a timeout or a 503 whose order was reserved anyway, and a 500', () => {
    const verdict = verifyCalls(
      [call('o1', 'timeout'), call('o2', 503), call('o3', 500)],
      snap(
        [released('o1')],
        [movement('RESERVE', 'o1', 'A', 2, T0 + 9_000), movement('RELEASE', 'o1', 'A', 2, T0 + 13_000)],
      ),
      noFault,
    );
    expect(verdict.violations).toEqual([
      expect.stringMatching(/^o1 \(told timeout.*yet 1 RESERVE movement/),
      expect.stringMatching(/^o3 .*a 5xx other than 503/),
      expect.stringMatching(/^o3 .*unexpected answer/),
    ]);
  });

  it('accept a reservation behind a reset attempt whose retry timed out, if it landed once', () => {
    // CI's kill scenario: the first attempt's api died after Temporal took its update, the retry on the
    // other api ran out of the caller's budget; the reset attempt's reserve ran on.
    const verdict = verifyCalls(
      [
        call('o1', 'timeout', { retried: true }),
        call('o2', 'network'),
        call('o3', 'timeout', { retried: true }),
      ],
      snap(
        [released('o1'), released('o3')],
        [
          movement('RESERVE', 'o1', 'A', 2, T0 + 1_000),
          movement('RELEASE', 'o1', 'A', 2, T0 + 5_000),
          movement('RESERVE', 'o3', 'A', 2, T0 + 1_000),
          movement('RESERVE', 'o3', 'A', 2, T0 + 1_500),
          movement('RELEASE', 'o3', 'A', 2, T0 + 5_000),
        ],
      ),
      noFault,
    );
    expect(verdict.violations).toEqual([expect.stringMatching(/^o3 .*more than one RESERVE movement for A/)]);
  });

  it('flag a 201 with two RESERVE movements for one line, a reservation still open, and one ended late', () => {
    const open: ReservationRow = { ...released('o2'), status: 'RESERVED', releaseReason: null };
    const verdict = verifyCalls(
      [call('o1', 201), call('o2', 201), call('o3', 201)],
      snap(
        [released('o1'), open, released('o3')],
        [
          movement('RESERVE', 'o1', 'A', 2, T0),
          movement('RESERVE', 'o1', 'A', 2, T0),
          movement('RELEASE', 'o1', 'A', 2, T0 + 4_000),
          movement('RESERVE', 'o2', 'A', 2, T0),
          movement('RESERVE', 'o3', 'A', 2, T0),
          movement('RELEASE', 'o3', 'A', 2, T0 + 4_000 + END_GRACE_MS + 1),
        ],
      ),
      noFault,
    );
    expect(verdict.violations).toEqual([
      expect.stringMatching(/^o1 .*2 RESERVE movement\(s\) for A×2/),
      expect.stringMatching(/^o1 .*2 RESERVE movements for 1 line/),
      expect.stringMatching(/^o2 .*still RESERVED/),
      expect.stringMatching(/^o3 .*ended 10 s after it was due/),
    ]);
  });

  it('flag a confirm nobody sent, and a cancel release without a cancel', () => {
    const confirmed: ReservationRow = {
      ...released('o1'),
      status: 'CONFIRMED',
      releaseReason: null,
      lines: [{ sku: 'A', quantity: 2, status: 'CONFIRMED' }],
    };
    const verdict = verifyCalls(
      [call('o1', 201), call('o2', 201, { decision: { type: 'OrderConfirmed', publishedAt: T0 + 500 } })],
      snap(
        [confirmed, released('o2', 'cancelled')],
        [
          movement('RESERVE', 'o1', 'A', 2, T0),
          movement('COMMIT', 'o1', 'A', 2, T0 + 1_000),
          movement('RESERVE', 'o2', 'A', 2, T0),
          movement('RELEASE', 'o2', 'A', 2, T0 + 1_000),
        ],
      ),
      noFault,
    );
    expect(verdict.violations).toEqual([
      expect.stringMatching(/^o1 .*CONFIRMED without a confirm/),
      expect.stringMatching(/^o2 .*released as cancelled, decision OrderConfirmed/),
    ]);
  });

  it('flag oversell in the levels and in the ledger, and a reservation nobody asked for', () => {
    const s = snap([released('ghost')], [{ ...movement('ADJUST', 'x', 'A', 5, T0), reservedAfter: 12 }]);
    s.levels = [{ sku: 'A', onHand: 3, reserved: 4 }];
    const verdict = verifyCalls([], s, noFault);
    expect(verdict.violations).toEqual([
      'ghost: a reservation nobody asked for',
      'oversell: A on hand 3, reserved 4',
      expect.stringMatching(/^oversell in the ledger/),
    ]);
  });

  it('allow an end due during the fault or its catch-up until the recovery grace after it', () => {
    const fault = { start: T0 + 10_000, end: T0 + 40_000 };
    expect(allowedBy(T0 + 20_000, fault)).toBe(fault.end + RECOVERY_GRACE_MS);
    // Due just after recovery, while the backlog drains: the recovery grace too.
    expect(allowedBy(fault.end + 5_000, fault)).toBe(fault.end + RECOVERY_GRACE_MS);
    // Due once the catch-up is over: the normal grace.
    const later = fault.end + RECOVERY_GRACE_MS + 1;
    expect(allowedBy(later, fault)).toBe(later + END_GRACE_MS);
    // Its grace ended before the fault began.
    expect(allowedBy(T0, { start: T0 + END_GRACE_MS + 1, end: T0 + 60_000 })).toBe(T0 + END_GRACE_MS);
  });

  it('stretch both graces on a machine busier than the suite alone makes it', () => {
    const fault = { start: T0 + 10_000, end: T0 + 40_000, graceScale: 2.5 };
    expect(allowedBy(T0 + 20_000, fault)).toBe(fault.end + 2.5 * RECOVERY_GRACE_MS);
    const later = fault.end + 2.5 * RECOVERY_GRACE_MS + 1;
    expect(allowedBy(later, fault)).toBe(later + 2.5 * END_GRACE_MS);
  });

  it('scale the graces by the peak load per CPU beyond the calibrated one, between 1 and 4', () => {
    expect(graceScale(3.6, 2)).toBe(1);
    expect(graceScale(4, 2)).toBe(1);
    expect(graceScale(9, 2)).toBe(2.3);
    expect(graceScale(12, 2)).toBe(3);
    expect(graceScale(40, 2)).toBe(4);
    expect(graceScale(12, 8)).toBe(1);
  });

  it('match movements and events one to one, deduplicated by eventId', () => {
    const movements = [movement('RESERVE', 'o1', 'A', 2, T0), movement('RELEASE', 'o1', 'A', 2, T0)];
    const event = (eventId: string, type: string): [string, InventoryEvent] => [
      eventId,
      { eventId, type, data: { orderId: 'o1', sku: 'A', quantity: 2 } },
    ];
    expect(unmatchedEvents(movements, new Map([event('e1', 'StockReserved')]))).toEqual({
      missing: ['StockReleased|o1|A|2'],
      phantom: [],
    });
    expect(
      unmatchedEvents(
        movements,
        new Map([event('e1', 'StockReserved'), event('e2', 'StockReleased'), event('e3', 'StockCommitted')]),
      ),
    ).toEqual({ missing: [], phantom: ['StockCommitted|o1|A|2'] });
  });
});
