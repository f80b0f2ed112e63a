import type { ApiResponse } from './harness';

export const PROBLEM_TYPE_BASE = 'https://inventory-service/problems/';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export interface StockLevelBody {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  safetyStock: number;
  reorderQuantity: number;
  updatedAt: string;
}

export interface ReservationBody {
  orderId: string;
  status: 'RESERVED' | 'CONFIRMED' | 'RELEASED';
  lines: { sku: string; quantity: number; status?: string }[];
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  releaseReason?: 'cancelled' | 'expired' | 'released';
}

export interface MovementBody {
  id: string;
  sku: string;
  type: 'RESERVE' | 'RELEASE' | 'COMMIT' | 'REPLENISH' | 'ADJUST';
  quantity: number;
  orderId?: string;
  reason?: string;
  reference?: string;
  onHandAfter: number;
  reservedAfter: number;
  occurredAt: string;
}

/** Shows the whole response when a status check fails, instead of "expected 201, received 500". */
export function describeResponse(res: ApiResponse<unknown>): string {
  return `HTTP ${res.status} ${res.contentType}: ${res.text.slice(0, 2000)}`;
}

export function expectStatus<T>(res: ApiResponse<T>, status: number): ApiResponse<T> {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${describeResponse(res as ApiResponse<unknown>)}`);
  }
  return res;
}

/** An RFC 9457 problem: status, media type, and (when given) the stable type slug. */
export function expectProblem(res: ApiResponse<unknown>, status: number, slug?: string): ProblemBody {
  expectStatus(res, status);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  const body = res.body as ProblemBody;
  expect(body).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  if (slug) expect(body.type).toBe(PROBLEM_TYPE_BASE + slug);
  return body;
}

export function expectJson(res: ApiResponse<unknown>): void {
  expect(res.contentType).toMatch(/^application\/json/);
}

/** A StockLevel with the contract's fields and its invariant available = onHand - reserved. */
export function expectStockLevel(body: unknown, expected: Partial<StockLevelBody>): StockLevelBody {
  const level = body as StockLevelBody;
  expect(level).toEqual(
    expect.objectContaining({
      sku: expect.any(String),
      onHand: expect.any(Number),
      reserved: expect.any(Number),
      available: expect.any(Number),
      safetyStock: expect.any(Number),
      reorderQuantity: expect.any(Number),
      updatedAt: expect.any(String),
      ...expected,
    }),
  );
  expect(level.available).toBe(level.onHand - level.reserved);
  expect(Number.isNaN(Date.parse(level.updatedAt))).toBe(false);
  return level;
}

export function expectReservation(body: unknown, expected: Partial<ReservationBody>): ReservationBody {
  const reservation = body as ReservationBody;
  expect(reservation).toEqual(
    expect.objectContaining({
      orderId: expect.any(String),
      status: expect.stringMatching(/^(RESERVED|CONFIRMED|RELEASED)$/),
      lines: expect.any(Array),
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      ...expected,
    }),
  );
  for (const at of [reservation.expiresAt, reservation.createdAt, reservation.updatedAt]) {
    expect(Number.isNaN(Date.parse(at))).toBe(false);
  }
  return reservation;
}

/** Lines as { sku, quantity } sorted by SKU, for order-insensitive comparison. */
export function linesOf(reservation: Pick<ReservationBody, 'lines'>): { sku: string; quantity: number }[] {
  return sortedLines(reservation.lines);
}

export function sortedLines(lines: { sku: string; quantity: number }[]): { sku: string; quantity: number }[] {
  return lines.map(({ sku, quantity }) => ({ sku, quantity })).sort((a, b) => a.sku.localeCompare(b.sku));
}
