import {
  MovementsQuery,
  OrderId as OrderIdSchema,
  ReserveBody,
  Sku as SkuSchema,
} from '../../../src/adapters/http/schemas';
import { parseOrderEvent } from '../../../src/adapters/rabbitmq/orderEvents';
import { MAX_MOVEMENT_LIMIT, parseLimit } from '../../../src/application/input';
import { loadConfig } from '../../../src/config';
import { OrderId } from '../../../src/domain/OrderId';
import { Sku } from '../../../src/domain/Sku';
import { TtlSeconds } from '../../../src/domain/TtlSeconds';

const accepts = (f: () => unknown) => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

const ORDER_IDS = ['o-1', 'A.b_c:d-9', 'x'.repeat(128), 'x'.repeat(129), '', 'o 1', 'o/1', 'ö', 'o\n'];
const SKUS = ['SKU-1', 'a', '9.x_y-z', 'S'.repeat(64), 'S'.repeat(65), '-SKU', '.S', 'S S', 'ı', ''];

/** The edges take their rules from the domain: what the domain accepts, HTTP and the bridge accept. */
describe('one source for each rule', () => {
  it.each(ORDER_IDS)('orderId %j: HTTP schema and event parser agree with the domain', (raw) => {
    const domain = accepts(() => OrderId.of(raw));
    expect(OrderIdSchema.safeParse(raw).success).toBe(domain);
    const event = {
      eventId: '5f0c9a8e-7d2b-4c1a-9e3f-2b6d8a4c1e7f',
      type: 'OrderConfirmed',
      occurredAt: '2026-12-01T12:00:00.000Z',
      data: { orderId: raw },
    };
    expect(parseOrderEvent(Buffer.from(JSON.stringify(event))).ok).toBe(domain);
  });

  it.each(SKUS)('sku %j: HTTP schema agrees with the domain', (raw) => {
    expect(SkuSchema.safeParse(raw).success).toBe(accepts(() => Sku.of(raw)));
  });

  it("the configured default TTL is the domain's default, within the domain's range", () => {
    expect(loadConfig({}).RESERVATION_DEFAULT_TTL_SECONDS).toBe(TtlSeconds.DEFAULT_SECONDS);
    for (const ttl of [TtlSeconds.MIN - 1, TtlSeconds.MIN, TtlSeconds.MAX, TtlSeconds.MAX + 1]) {
      const inRange = accepts(() => TtlSeconds.of(ttl));
      expect(accepts(() => loadConfig({ RESERVATION_DEFAULT_TTL_SECONDS: String(ttl) }))).toBe(inRange);
      expect(ReserveBody.safeParse({ orderId: 'o-1', quantity: 1, ttlSeconds: ttl }).success).toBe(inRange);
    }
  });
});

describe('page limits', () => {
  it('the documented limit pattern accepts exactly 1..MAX_MOVEMENT_LIMIT, as the use cases do', () => {
    for (const limit of [
      0,
      1,
      9,
      10,
      99,
      100,
      MAX_MOVEMENT_LIMIT - 1,
      MAX_MOVEMENT_LIMIT,
      MAX_MOVEMENT_LIMIT + 1,
    ]) {
      const http = MovementsQuery.safeParse({ limit: String(limit) }).success;
      expect(http).toBe(accepts(() => parseLimit(limit)));
    }
  });
});
