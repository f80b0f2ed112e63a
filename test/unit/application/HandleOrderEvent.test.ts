import { HandleOrderEvent, type ReceivedOrderEvent } from '../../../src/application/HandleOrderEvent';
import { FakeOrderSignals, PermanentSignalError } from '../../support/fakeOrderSignals';
import { InMemoryProcessedMessages } from '../../support/fakes';

function setup() {
  const signals = new FakeOrderSignals();
  const processed = new InMemoryProcessedMessages();
  const handle = new HandleOrderEvent({ orderSignals: signals, processed });
  return { signals, processed, handle };
}

let seq = 0;
function event(type: string, data: { orderId?: string; reason?: string } = {}): ReceivedOrderEvent {
  seq += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    type,
    routedAs: type,
    orderId: data.orderId ?? `o-${seq}`,
    fingerprint: `${type}/${data.orderId ?? `o-${seq}`}/${data.reason ?? ''}`,
    ...(data.reason === undefined ? {} : { reason: data.reason }),
  };
}

describe('HandleOrderEvent', () => {
  it('OrderConfirmed → confirm, recorded as signalled', async () => {
    const { signals, processed, handle } = setup();
    const e = event('OrderConfirmed');
    expect(await handle.execute(e)).toEqual({ kind: 'applied', outcome: 'signalled' });
    expect(signals.calls).toEqual([expect.objectContaining({ op: 'confirm', orderId: e.orderId })]);
    expect(processed.rows.get(e.eventId)).toEqual({
      messageId: e.eventId,
      messageType: 'OrderConfirmed',
      outcome: 'signalled',
      fingerprint: e.fingerprint,
    });
  });

  it('OrderCancelled → cancel with its reason', async () => {
    const { signals, handle } = setup();
    const e = event('OrderCancelled', { reason: 'payment-failed' });
    expect(await handle.execute(e)).toEqual({ kind: 'applied', outcome: 'signalled' });
    expect(signals.calls).toEqual([
      expect.objectContaining({ op: 'cancel', orderId: e.orderId, reason: 'payment-failed' }),
    ]);
  });

  it('OrderCreated is recorded without a signal', async () => {
    const { signals, processed, handle } = setup();
    const e = event('OrderCreated');
    expect(await handle.execute(e)).toEqual({ kind: 'applied', outcome: 'recorded' });
    expect(signals.calls).toHaveLength(0);
    expect(processed.rows.get(e.eventId)?.outcome).toBe('recorded');
  });

  it('an order without a running reservation → no-workflow, recorded with the detail', async () => {
    const { signals, processed, handle } = setup();
    const e = event('OrderConfirmed');
    signals.script(e.orderId, 'no-workflow');
    expect(await handle.execute(e)).toEqual({
      kind: 'no-workflow',
      detail: `no running reservation workflow for order ${e.orderId}`,
    });
    expect(processed.rows.get(e.eventId)).toMatchObject({
      outcome: 'no-workflow',
      detail: `no running reservation workflow for order ${e.orderId}`,
    });
  });

  it('a second delivery of an eventId is a duplicate: no second signal, the first record kept', async () => {
    const { signals, processed, handle } = setup();
    const e = event('OrderCancelled');
    await handle.execute(e);
    expect(await handle.execute(e)).toEqual({ kind: 'duplicate', previous: 'signalled' });
    expect(signals.callsFor(e.orderId)).toHaveLength(1);
    expect(processed.rows.size).toBe(1);
  });

  it('an unknown type is rejected with the reason, without a signal or a record', async () => {
    const { signals, processed, handle } = setup();
    expect(await handle.execute(event('OrderShipped'))).toEqual({
      kind: 'rejected',
      reason: 'unknown event type "OrderShipped"',
    });
    expect(signals.calls).toHaveLength(0);
    expect(processed.rows.size).toBe(0);
  });

  it('a routing key that disagrees with the body type is rejected, never applied (defect 5)', async () => {
    const { signals, processed, handle } = setup();
    const e = { ...event('OrderConfirmed'), routedAs: 'OrderCancelled' };
    expect(await handle.execute(e)).toEqual({
      kind: 'rejected',
      reason: 'routing key "OrderCancelled" does not match the body\'s type "OrderConfirmed"',
    });
    expect(signals.calls).toHaveLength(0);
    expect(processed.rows.size).toBe(0);
  });

  it('an eventId reused with another body is rejected with its reason, the first use kept (defect 6)', async () => {
    const { signals, processed, handle } = setup();
    const first = event('OrderConfirmed', { orderId: 'o-a' });
    await handle.execute(first);
    const reuse = { ...event('OrderCancelled', { orderId: 'o-b' }), eventId: first.eventId };
    expect(await handle.execute(reuse)).toEqual({
      kind: 'rejected',
      reason: `eventId ${first.eventId} was already used for a different event (first handled as OrderConfirmed: signalled)`,
    });
    expect(signals.callsFor('o-b')).toHaveLength(0);
    expect(processed.rows.get(first.eventId)).toMatchObject({
      messageType: 'OrderConfirmed',
      fingerprint: first.fingerprint,
    });
  });

  it('a record written before fingerprints were kept still makes a copy a duplicate', async () => {
    const { signals, processed, handle } = setup();
    const e = event('OrderCancelled');
    processed.rows.set(e.eventId, {
      messageId: e.eventId,
      messageType: 'OrderCancelled',
      outcome: 'signalled',
    });
    expect(await handle.execute(e)).toEqual({ kind: 'duplicate', previous: 'signalled' });
    expect(signals.calls).toHaveLength(0);
  });

  it('port failures propagate and leave no record, so the event can be retried', async () => {
    const { signals, processed, handle } = setup();
    const e = event('OrderConfirmed');
    signals.script(e.orderId, new Error('14 UNAVAILABLE'), 'signalled');
    await expect(handle.execute(e)).rejects.toThrow('14 UNAVAILABLE');
    expect(processed.rows.size).toBe(0);
    expect(await handle.execute(e)).toEqual({ kind: 'applied', outcome: 'signalled' });

    const p = event('OrderCancelled');
    signals.script(p.orderId, new PermanentSignalError('rejected'));
    await expect(handle.execute(p)).rejects.toMatchObject({ transient: false });

    const r = event('OrderCancelled');
    processed.recordFailures.push(new Error('postgres down'));
    await expect(handle.execute(r)).rejects.toThrow('postgres down');
    expect(await handle.execute(r)).toEqual({ kind: 'applied', outcome: 'signalled' });
    expect(signals.callsFor(r.orderId)).toHaveLength(2);
  });
});
