import { PROTECTED_ROUTES, testApp, token, type TestApp } from './fakes';

/**
 * Property-style: thousands of malformed requests, generated from a fixed seed, at every route. None
 * may produce a 5xx, and every error must be a problem document.
 */

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}

type Rng = ReturnType<typeof prng>;

const NUMBERS = [
  0,
  -1,
  1,
  1.5,
  -0.0001,
  1e6,
  1e6 + 1,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
];
const STRINGS = [
  '',
  ' ',
  'SKU-1',
  'sku-1',
  'o-1',
  '1',
  '-1',
  '1e400',
  'NaN',
  'null',
  'true',
  '\u0000',
  '\u202e',
  '😀',
  '<script>',
  "'; drop table stock_levels; --",
  '../../etc/passwd',
  '%00',
  'a'.repeat(65),
  'b'.repeat(129),
  'c'.repeat(5000),
  'é',
  '\n\r\t',
  '{}',
];
const KEYS = [
  'onHand',
  'safetyStock',
  'reorderQuantity',
  'orderId',
  'quantity',
  'ttlSeconds',
  'reason',
  'reference',
  'lines',
  'sku',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '',
  'x',
];

function value(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 4 : 7)) {
    case 0:
      return r.pick(NUMBERS) * (r.next() < 0.2 ? -1 : 1);
    case 1:
      return r.pick(STRINGS);
    case 2:
      return r.pick([null, true, false]);
    case 3:
      return r.int(2_000_000) - 500_000;
    case 4:
      return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
    default:
      return object(r, depth + 1);
  }
}

function object(r: Rng, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = r.int(5); i > 0; i--) o[r.pick(KEYS)] = value(r, depth);
  return o;
}

/** A body close to the route's valid one with one or more fields broken, or something else entirely. */
function body(r: Rng, valid: Record<string, unknown> | undefined): string | undefined {
  const roll = r.next();
  if (roll < 0.1) return undefined;
  if (roll < 0.2)
    return r.pick([
      '{',
      '{"a":',
      '[',
      'nul',
      '"',
      '{"onHand":1,}',
      '\u0000',
      '{"quantity":1e400}',
      '{"quantity":-0}',
      '{"a":1}{"b":2}',
      '\uFEFF{}',
    ]);
  if (roll < 0.3) return JSON.stringify(value(r));
  const mutated: Record<string, unknown> = { ...(valid ?? {}) };
  for (let i = 1 + r.int(3); i > 0; i--) {
    const keys = Object.keys(mutated);
    const key = keys.length && r.next() < 0.7 ? r.pick(keys) : r.pick(KEYS);
    if (r.next() < 0.15) delete mutated[key];
    else
      mutated[key] =
        key === 'lines' && r.next() < 0.5 ? [object(r, 1), { sku: value(r), quantity: value(r) }] : value(r);
  }
  // JSON.stringify drops __proto__ set through assignment; write it out explicitly sometimes.
  const text = JSON.stringify(mutated);
  return r.next() < 0.05 ? text.replace(/^\{/, '{"__proto__":{"polluted":1},') : text;
}

const SEGMENTS = [
  '',
  '%',
  '%zz',
  '%00',
  '%2F',
  '%2e%2e',
  '..',
  '.',
  '-x',
  '_x',
  'x'.repeat(64),
  'x'.repeat(65),
  'y'.repeat(600),
  '%F0%9F%98%80',
  '%C3%A9',
  'a%20b',
  'a+b',
  'A*',
  'a;b',
  'a,b',
  '~',
  'ABC:DEF',
  '%E0%A4%A',
  '%u0041',
  '\u00e9',
];

function url(r: Rng, template: string): string {
  const segment = () =>
    r.next() < 0.8 ? r.pick(SEGMENTS) : encodeURIComponent(JSON.stringify(value(r)) ?? '');
  let u = template.replace('SKU-1', segment()).replace('/o-1', `/${segment()}`);
  if (r.next() < 0.3) {
    const q = ['limit', 'cursor', 'x', 'limit[]', '__proto__'];
    u +=
      '?' +
      Array.from(
        { length: 1 + r.int(3) },
        () => `${r.pick(q)}=${encodeURIComponent(JSON.stringify(value(r)) ?? '')}`,
      ).join('&');
  }
  return u;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/problem+json',
  'application/json-patch+json',
  '',
  'json',
  '*/*',
];

describe('malformed input never yields a 5xx', () => {
  let t: TestApp;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    t = testApp();
    for (const scope of ['inventory:read', 'inventory:reserve', 'inventory:admin'] as const)
      tokens.set(scope, await token(scope));
    await t.app.inject({
      method: 'PUT',
      url: '/inventory/SKU-1',
      headers: { authorization: `Bearer ${tokens.get('inventory:admin')}` },
      payload: { onHand: 100 },
    });
  });
  afterAll(() => t.app.close());

  it.each(PROTECTED_ROUTES.map((route, i) => [`${route.method} ${route.path}`, route, i] as const))(
    '%s',
    async (_name, route, index) => {
      const r = prng(0xc0ffee + index);
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      for (let i = 0; i < 400; i++) {
        const payload = route.method === 'GET' && r.next() < 0.8 ? undefined : body(r, route.payload);
        const headers: Record<string, string> = {};
        const authRoll = r.next();
        if (authRoll < 0.85) headers.authorization = `Bearer ${tokens.get(route.scope)}`;
        else if (authRoll < 0.95)
          headers.authorization = r.pick([
            'Bearer',
            'Bearer x.y.z',
            `Bearer ${'a'.repeat(9000)}`,
            'bearer  ',
            '\u0000',
            'Basic Og==',
          ]);
        if (payload !== undefined) {
          const ct = r.next() < 0.8 ? 'application/json' : r.pick(CONTENT_TYPES);
          if (ct) headers['content-type'] = ct;
        }
        const target = r.next() < 0.7 ? url(r, route.url) : route.url;
        const res = await t.app.inject({
          method: route.method,
          url: target,
          headers,
          ...(payload !== undefined ? { payload } : {}),
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const problemJson = /^application\/problem\+json/.test(String(res.headers['content-type']));
        if (res.statusCode >= 500 || (res.statusCode >= 400 && !problemJson)) {
          failures.push(
            `${res.statusCode} ${route.method} ${target} ${headers['content-type'] ?? ''} ${payload ?? ''} -> ${res.body.slice(0, 200)}`,
          );
        }
      }
      expect(failures).toEqual([]);
      // The generator must exercise the rejections and still reach the handler now and then.
      expect([...statuses.keys()]).toEqual(expect.arrayContaining([400, 401]));
      expect([...statuses.keys()].some((s) => s < 300 || s === 404 || s === 409 || s === 410)).toBe(true);
    },
  );

  it('handles oversized and deeply nested bodies on every route', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const wide = JSON.stringify({
      lines: Array.from({ length: 3000 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })),
      orderId: 'o',
    });
    for (const route of PROTECTED_ROUTES) {
      for (const payload of [deep, wide, JSON.stringify({ orderId: 'o'.repeat(70_000) })]) {
        const res = await t.app.inject({
          method: route.method,
          url: route.url,
          headers: { authorization: `Bearer ${tokens.get(route.scope)}`, 'content-type': 'application/json' },
          payload,
        });
        expect(res.statusCode).toBeLessThan(500);
      }
    }
  });
});
