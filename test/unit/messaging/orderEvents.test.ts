import { backoffDelay } from '../../../src/adapters/shared/backoff';
import {
  MAX_ORDER_EVENT_BYTES,
  orderEventFingerprint,
  parseOrderEvent,
} from '../../../src/adapters/rabbitmq/orderEvents';

const body = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const base = { eventId: '0f8fad5b-d9cb-469f-a165-70867728950e', occurredAt: '2026-03-01T10:00:00.000Z' };

describe('parseOrderEvent', () => {
  it('accepts the three contract events, tolerating extra fields', () => {
    expect(
      parseOrderEvent(body({ ...base, type: 'OrderConfirmed', data: { orderId: 'o-1' } })),
    ).toMatchObject({
      ok: true,
      event: { type: 'OrderConfirmed', data: { orderId: 'o-1' } },
    });
    expect(
      parseOrderEvent(body({ ...base, type: 'OrderCancelled', data: { orderId: 'o:1', reason: 'x' }, v: 2 })),
    ).toMatchObject({ ok: true, event: { data: { reason: 'x' } } });
    expect(
      parseOrderEvent(body({ ...base, type: 'OrderCreated', data: { orderId: 'o.1', lines: [] } })),
    ).toMatchObject({ ok: true });
    expect(
      parseOrderEvent(
        body({
          ...base,
          occurredAt: '2026-03-01T12:00:00+02:00',
          type: 'OrderCreated',
          data: { orderId: 'a' },
        }),
      ),
    ).toMatchObject({ ok: true });
  });

  it.each([
    ['not JSON', '{nope', /^malformed JSON/],
    ['a JSON array', '[]', /^schema violation/],
    [
      'an unknown type',
      { ...base, type: 'OrderShipped', data: { orderId: 'o' } },
      /^unknown event type "OrderShipped"/,
    ],
    ['no type', { ...base, data: { orderId: 'o' } }, /^schema violation: type/],
    [
      'an orderId too long',
      { ...base, type: 'OrderConfirmed', data: { orderId: 'x'.repeat(129) } },
      /data\.orderId/,
    ],
    [
      'a non-uuid eventId',
      { ...base, eventId: '42', type: 'OrderConfirmed', data: { orderId: 'o' } },
      /eventId/,
    ],
    [
      'a local time',
      { ...base, occurredAt: '2026-03-01 10:00', type: 'OrderConfirmed', data: { orderId: 'o' } },
      /occurredAt/,
    ],
    [
      'a numeric reason',
      { ...base, type: 'OrderCancelled', data: { orderId: 'o', reason: 3 } },
      /data\.reason/,
    ],
  ])('rejects %s with a reason', (_name, input, reason) => {
    const parsed = parseOrderEvent(body(input));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('parseOrderEvent size limit', () => {
  const padded = (bytes: number) => {
    const json = JSON.stringify({ ...base, type: 'OrderConfirmed', data: { orderId: 'o-1', pad: '' } });
    return Buffer.from(json.replace('"pad":""', `"pad":"${'x'.repeat(bytes - json.length)}"`));
  };

  it('accepts a valid event of exactly the limit and refuses one byte more, before parsing', () => {
    expect(padded(MAX_ORDER_EVENT_BYTES)).toHaveLength(MAX_ORDER_EVENT_BYTES);
    expect(parseOrderEvent(padded(MAX_ORDER_EVENT_BYTES))).toMatchObject({ ok: true });
    expect(parseOrderEvent(padded(MAX_ORDER_EVENT_BYTES + 1))).toEqual({
      ok: false,
      reason: `body of ${MAX_ORDER_EVENT_BYTES + 1} bytes exceeds the ${MAX_ORDER_EVENT_BYTES}-byte limit`,
    });
  });
});

describe('orderEventFingerprint', () => {
  const fingerprintOf = (json: string) => {
    const parsed = parseOrderEvent(body(json));
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.fingerprint;
  };

  it('is the same for the same type and data, whatever the key order, spacing or occurredAt', () => {
    const a = fingerprintOf(
      JSON.stringify({ ...base, type: 'OrderCancelled', data: { orderId: 'o-1', reason: 'x' } }),
    );
    const b = fingerprintOf(
      `{"data":{ "reason":"x","orderId":"o-1"},"type":"OrderCancelled","occurredAt":"2026-03-02T00:00:00Z","eventId":"${base.eventId}"}`,
    );
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
  });

  it('differs when the type or any data field differs', () => {
    const of = (type: 'OrderConfirmed' | 'OrderCancelled', data: Record<string, unknown>) =>
      orderEventFingerprint({ type, data: { orderId: 'o-1', ...data } } as never);
    const all = [
      of('OrderCancelled', {}),
      of('OrderConfirmed', {}),
      of('OrderCancelled', { orderId: 'o-2' }),
      of('OrderCancelled', { reason: 'x' }),
      of('OrderCancelled', { lines: [{ sku: 'A', quantity: 1 }] }),
      of('OrderCancelled', { lines: [{ sku: 'A', quantity: 2 }] }),
    ];
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially with jitter between half and all of the step, capped', () => {
    const opts = { initialMs: 100, maxMs: 5_000 };
    expect(backoffDelay(0, opts, () => 0)).toBe(50);
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(3, opts, () => 0)).toBe(400);
    expect(backoffDelay(10, opts, () => 1)).toBe(5_000);
    expect(backoffDelay(1_000, opts, () => 0.5)).toBe(3_750);
  });
});
