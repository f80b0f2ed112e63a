import { applyMovement, LedgerReplay, type ReplayableMovement } from '../../../src/domain/LedgerReplay';

const m = (
  type: ReplayableMovement['type'],
  quantity: number,
  onHandAfter: number,
  reservedAfter: number,
  id?: string,
): ReplayableMovement => ({ type, quantity, onHandAfter, reservedAfter, id });

describe('ledger replay', () => {
  it('applies each movement type by the replay rule', () => {
    const start = { onHand: 10, reserved: 4 };
    expect(applyMovement(start, 'RESERVE', 3)).toEqual({ onHand: 10, reserved: 7 });
    expect(applyMovement(start, 'RELEASE', 3)).toEqual({ onHand: 10, reserved: 1 });
    expect(applyMovement(start, 'COMMIT', 3)).toEqual({ onHand: 7, reserved: 1 });
    expect(applyMovement(start, 'REPLENISH', 3)).toEqual({ onHand: 13, reserved: 4 });
    expect(applyMovement(start, 'ADJUST', -3)).toEqual({ onHand: 7, reserved: 4 });
  });

  it('reproduces the levels of a consistent ledger', () => {
    const replay = LedgerReplay.of([
      m('ADJUST', 10, 10, 0),
      m('RESERVE', 4, 10, 4),
      m('COMMIT', 3, 7, 1),
      m('RELEASE', 1, 7, 0),
      m('REPLENISH', 5, 12, 0),
      m('ADJUST', -2, 10, 0),
    ]);
    expect(replay.levels).toEqual({ onHand: 10, reserved: 0 });
    expect(replay.movementCount).toBe(6);
    expect(replay.chainBreak).toBeNull();
    expect(replay.explains({ onHand: 10, reserved: 0 })).toBe(true);
    expect(replay.explains({ onHand: 11, reserved: 0 })).toBe(false);
  });

  it('names the first movement whose recorded levels disagree with the replay', () => {
    const replay = LedgerReplay.of([
      m('ADJUST', 10, 10, 0, '1'),
      m('RESERVE', 4, 10, 5, '2'),
      m('RESERVE', 1, 10, 6, '3'),
    ]);
    expect(replay.chainBreak).toEqual({
      movementId: '2',
      index: 1,
      recorded: { onHand: 10, reserved: 5 },
      replayed: { onHand: 10, reserved: 4 },
    });
    expect(replay.explains(replay.levels)).toBe(false);
  });

  it('explains only zero levels when there is no movement', () => {
    expect(new LedgerReplay().explains({ onHand: 0, reserved: 0 })).toBe(true);
    expect(new LedgerReplay().explains({ onHand: 1, reserved: 0 })).toBe(false);
  });
});
