import { Registry } from 'prom-client';
import type { UnitOfWorkOptions } from '../../../src/domain/ports/UnitOfWorkPort';

// Two ESM-only transitive dependencies that Node >= 20.19 requires fine but Jest's CommonJS runtime
// cannot: cookie@2 (light-my-request, behind app.inject) and content-disposition@3 (@fastify/static,
// behind /docs). Neither code path is used here (no cookies, no downloads).
import type {
  AdjustCommand,
  AdjustOutcome,
  ExtendCommand,
  ExtendOutcome,
  ReleaseCommand,
  ReleaseOutcome,
  ReplenishCommand,
  ReplenishOutcome,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
  SetLevelsCommand,
  SetLevelsOutcome,
  StockLevelView,
  VersionPrecondition,
  StockLevelBatch,
  StockLevelPage,
  ListBelowSafetyStockQuery,
  ListMovementsQuery,
  ListPurchaseOrdersQuery,
  MovementPage,
  MovementView,
  PurchaseOrderPage,
  PurchaseOrderView,
} from '../../../src/application/contracts';
import { buildApp, type BuildAppDeps } from '../../../src/adapters/http/app';
import { JwtTokenVerifier, mintToken, type JwtSettings, type Scope } from '../../../src/adapters/http/auth';
import type {
  HealthCheck,
  HttpInventoryService,
  IdempotencyScope,
  IdempotencyClaim,
  IdempotencyStorePort,
  ReservationOrchestratorPort,
  StoredResponse,
} from '../../../src/adapters/http/ports';
import type { IdempotencyBegin } from '../../../src/application/ports';
import { ValidationError, ErrorCodes } from '../../../src/domain/errors';
import { StockCount } from '../../../src/domain/StockCount';

export const JWT: JwtSettings = {
  secret: 'unit-test-secret-unit-test-secret-0123456789',
  issuer: 'inventory-service',
  audience: 'inventory-service',
};

export const token = (...scopes: Scope[]) => mintToken(JWT, { scopes, subject: 'unit-test' });

const NOW = '2030-01-01T00:00:00.000Z';

/**
 * In-memory inventory and orchestrator with the semantics the contract describes, enough to drive
 * every status code of the façade.
 */
/** The fake app's REQUEST_DEADLINE_MS. */
export const FAKE_DEADLINE_MS = 2_000;

export class FakeInventory implements HttpInventoryService, ReservationOrchestratorPort {
  readonly levels = new Map<
    string,
    { onHand: number; reserved: number; safetyStock: number; reorderQuantity: number; version?: number }
  >();
  readonly reservations = new Map<string, ReservationView>();
  readonly movements: MovementView[] = [];
  /** Newest first, as the application returns them. */
  readonly purchaseOrders: PurchaseOrderView[] = [];
  /** `options`: what the route handed the command besides it (its deadline). */
  readonly calls: { method: string; arg: unknown; options?: unknown }[] = [];

  private view(sku: string): StockLevelView {
    const l = this.levels.get(sku)!;
    const open = this.purchaseOrders.find((p) => p.sku === sku && p.status === 'OPEN');
    return {
      sku,
      ...l,
      version: l.version ?? 0,
      available: l.onHand - l.reserved,
      updatedAt: NOW,
      openPurchaseOrder: open
        ? {
            id: open.id,
            quantity: open.quantity,
            available: open.available,
            safetyStock: open.safetyStock,
            requestedAt: open.requestedAt,
          }
        : null,
    };
  }

  async setLevels(cmd: SetLevelsCommand, options?: UnitOfWorkOptions): Promise<SetLevelsOutcome> {
    this.calls.push({ method: 'setLevels', arg: cmd, options });
    const existing = this.levels.get(cmd.sku);
    if (!this.preconditionHolds(cmd.ifMatch, cmd.sku)) {
      return { kind: 'precondition-failed', level: existing ? this.view(cmd.sku) : null };
    }
    if (existing && cmd.onHand < existing.reserved)
      return { kind: 'below-reserved', reserved: existing.reserved };
    this.levels.set(cmd.sku, {
      onHand: cmd.onHand,
      reserved: existing?.reserved ?? 0,
      safetyStock: cmd.safetyStock ?? existing?.safetyStock ?? 0,
      reorderQuantity: cmd.reorderQuantity ?? existing?.reorderQuantity ?? 0,
      version: existing ? (existing.version ?? 0) + 1 : 0,
    });
    return { kind: existing ? 'updated' : 'created', level: this.view(cmd.sku) };
  }

  preconditionHolds(ifMatch: VersionPrecondition | undefined, sku: string): boolean {
    if (ifMatch === undefined) return true;
    const l = this.levels.get(sku);
    return l !== undefined && (ifMatch === '*' || ifMatch.includes(l.version ?? 0));
  }

  async replenish(cmd: ReplenishCommand, options?: UnitOfWorkOptions): Promise<ReplenishOutcome> {
    this.calls.push({ method: 'replenish', arg: cmd, options });
    const l = this.levels.get(cmd.sku);
    if (!l) return { kind: 'not-found' };
    if (l.onHand + cmd.quantity > StockCount.MAX)
      return { kind: 'on-hand-limit', onHand: l.onHand, max: StockCount.MAX };
    l.onHand += cmd.quantity;
    l.version = (l.version ?? 0) + 1;
    return { kind: 'replenished', level: this.view(cmd.sku) };
  }

  async adjust(cmd: AdjustCommand, options?: UnitOfWorkOptions): Promise<AdjustOutcome> {
    this.calls.push({ method: 'adjust', arg: cmd, options });
    if (!this.preconditionHolds(cmd.ifMatch, cmd.sku)) {
      return { kind: 'precondition-failed', level: this.levels.has(cmd.sku) ? this.view(cmd.sku) : null };
    }
    const l = this.levels.get(cmd.sku);
    if (!l) return { kind: 'not-found' };
    const onHand = cmd.delta !== undefined ? l.onHand + cmd.delta : cmd.onHand!;
    if (onHand < l.reserved) return { kind: 'below-reserved', onHand, reserved: l.reserved };
    l.onHand = onHand;
    l.version = (l.version ?? 0) + 1;
    return { kind: 'adjusted', level: this.view(cmd.sku) };
  }

  async getStockLevel(sku: string) {
    this.calls.push({ method: 'getStockLevel', arg: sku });
    return this.levels.has(sku) ? this.view(sku) : null;
  }

  async getStockLevels(skus: readonly string[]): Promise<StockLevelBatch> {
    this.calls.push({ method: 'getStockLevels', arg: skus });
    const unique = [...new Set(skus)];
    return {
      items: unique.filter((s) => this.levels.has(s)).map((s) => this.view(s)),
      unknown: unique.filter((s) => !this.levels.has(s)),
    };
  }

  async listBelowSafetyStock(q: ListBelowSafetyStockQuery): Promise<StockLevelPage> {
    this.calls.push({ method: 'listBelowSafetyStock', arg: q });
    const limit = q.limit ?? 50;
    const below = [...this.levels.keys()]
      .sort()
      .filter((s) => q.cursor === undefined || s > q.cursor)
      .map((s) => this.view(s))
      .filter((v) => v.available < v.safetyStock);
    const items = below.slice(0, limit);
    return { items, nextCursor: below.length > limit ? items[items.length - 1]!.sku : null };
  }

  async getReservation(orderId: string) {
    this.calls.push({ method: 'getReservation', arg: orderId });
    return this.reservations.get(orderId) ?? null;
  }

  async listMovements(q: ListMovementsQuery): Promise<MovementPage | null> {
    this.calls.push({ method: 'listMovements', arg: q });
    if (q.cursor === 'bad')
      throw new ValidationError(ErrorCodes.INVALID_CURSOR, 'cursor is not valid', { cursor: q.cursor });
    if (!this.levels.has(q.sku)) return null;
    const items = this.movements.filter((m) => m.sku === q.sku).slice(0, q.limit ?? 50);
    return { items, nextCursor: items.length === (q.limit ?? 50) ? 'next' : null };
  }

  async listPurchaseOrders(q: ListPurchaseOrdersQuery): Promise<PurchaseOrderPage> {
    this.calls.push({ method: 'listPurchaseOrders', arg: q });
    if (q.cursor === 'bad')
      throw new ValidationError(ErrorCodes.INVALID_CURSOR, 'cursor is not valid', { cursor: q.cursor });
    const status = q.status ?? 'open';
    const limit = q.limit ?? 50;
    const start = q.cursor ? Number(q.cursor.replace(/^c/, '')) || 0 : 0;
    const matching = this.purchaseOrders.filter((p) => status === 'all' || p.status === status.toUpperCase());
    const items = matching.slice(start, start + limit);
    return { items, nextCursor: start + limit < matching.length ? `c${start + limit}` : null };
  }

  async reserve(cmd: ReserveCommand): Promise<ReserveOutcome> {
    this.calls.push({ method: 'reserve', arg: cmd });
    const unknown = cmd.lines.filter((l) => !this.levels.has(l.sku)).map((l) => l.sku);
    if (unknown.length) return { kind: 'unknown-sku', skus: unknown };
    const existing = this.reservations.get(cmd.orderId);
    if (existing && existing.status !== 'RESERVED')
      return { kind: 'reservation-closed', reservation: existing };
    const conflicts = cmd.lines.flatMap((l) => {
      const line = existing?.lines.find((x) => x.sku === l.sku);
      return line && line.quantity !== l.quantity
        ? [{ sku: l.sku, reserved: line.quantity, requested: l.quantity }]
        : [];
    });
    if (conflicts.length) return { kind: 'quantity-conflict', lines: conflicts };
    const fresh = cmd.lines.filter((l) => !existing?.lines.some((x) => x.sku === l.sku));
    if (existing && fresh.length === 0) return { kind: 'reserved', created: false, reservation: existing };
    const short = fresh.flatMap((l) => {
      const lv = this.levels.get(l.sku)!;
      const available = lv.onHand - lv.reserved;
      return available < l.quantity ? [{ sku: l.sku, requested: l.quantity, available }] : [];
    });
    if (short.length) return { kind: 'insufficient-stock', lines: short };
    for (const l of fresh) this.levels.get(l.sku)!.reserved += l.quantity;
    const reservation: ReservationView = existing ?? {
      orderId: cmd.orderId,
      status: 'RESERVED',
      lines: [],
      expiresAt: '2030-01-01T00:15:00.000Z',
      createdAt: NOW,
      updatedAt: NOW,
    };
    reservation.lines.push(...fresh.map((l) => ({ ...l, status: 'RESERVED' as const })));
    this.reservations.set(cmd.orderId, reservation);
    return { kind: 'reserved', created: true, reservation: structuredClone(reservation) };
  }

  async extend(cmd: ExtendCommand, options?: UnitOfWorkOptions): Promise<ExtendOutcome> {
    this.calls.push({ method: 'extend', arg: cmd, options });
    const r = this.reservations.get(cmd.orderId);
    if (!r) return { kind: 'not-found' };
    if (r.status !== 'RESERVED') return { kind: 'reservation-closed', reservation: structuredClone(r) };
    r.expiresAt = new Date(Date.parse(NOW) + cmd.ttlSeconds * 1000).toISOString();
    return { kind: 'extended', changed: true, reservation: structuredClone(r) };
  }

  async release(cmd: ReleaseCommand, options?: UnitOfWorkOptions): Promise<ReleaseOutcome> {
    this.calls.push({ method: 'release', arg: cmd, options });
    const r = this.reservations.get(cmd.orderId);
    if (!r) return { kind: 'not-found' };
    const lines = r.lines.filter((l) => !cmd.sku || l.sku === cmd.sku);
    if (lines.length === 0) return { kind: 'line-not-found' };
    let changed = false;
    for (const l of lines) {
      if (l.status === 'RESERVED') {
        l.status = 'RELEASED';
        this.levels.get(l.sku)!.reserved -= l.quantity;
        changed = true;
      }
    }
    if (r.lines.every((l) => l.status === 'RELEASED')) {
      r.status = 'RELEASED';
      r.releaseReason = cmd.reason;
    }
    return { kind: 'released', changed, reservation: structuredClone(r) };
  }
}

export interface TestApp {
  app: ReturnType<typeof buildApp>;
  fake: FakeInventory;
  metrics: Registry;
}

export function testApp(
  overrides: Partial<BuildAppDeps> = {},
  checks?: Record<string, HealthCheck>,
): TestApp {
  const fake = new FakeInventory();
  const metrics = new Registry();
  const app = buildApp({
    inventory: fake,
    orchestrator: fake,
    tokenVerifier: new JwtTokenVerifier(JWT),
    healthChecks: checks ?? {
      postgres: async () => ({ ok: true }),
      rabbitmq: async () => ({ ok: true }),
      temporal: async () => ({ ok: true }),
    },
    metrics,
    logger: false,
    config: { HTTP_BODY_LIMIT_BYTES: 64 * 1024, REQUEST_DEADLINE_MS: FAKE_DEADLINE_MS },
    ...overrides,
  });
  return { app, fake, metrics };
}

export interface RouteSample {
  method: 'GET' | 'PUT' | 'POST';
  url: string;
  /** Route template, as OpenAPI lists it. */
  path: string;
  scope: Scope;
  payload?: Record<string, unknown>;
}

/** Every protected row of the contract, with a valid request. */
export const PROTECTED_ROUTES: RouteSample[] = [
  {
    method: 'PUT',
    url: '/inventory/SKU-1',
    path: '/inventory/{sku}',
    scope: 'inventory:admin',
    payload: { onHand: 5 },
  },
  { method: 'GET', url: '/inventory/SKU-1', path: '/inventory/{sku}', scope: 'inventory:read' },
  {
    method: 'GET',
    url: '/inventory/SKU-1/movements',
    path: '/inventory/{sku}/movements',
    scope: 'inventory:read',
  },
  {
    method: 'POST',
    url: '/inventory/SKU-1/reserve',
    path: '/inventory/{sku}/reserve',
    scope: 'inventory:reserve',
    payload: { orderId: 'o-1', quantity: 1 },
  },
  {
    method: 'POST',
    url: '/inventory/SKU-1/release',
    path: '/inventory/{sku}/release',
    scope: 'inventory:reserve',
    payload: { orderId: 'o-1' },
  },
  {
    method: 'POST',
    url: '/inventory/SKU-1/replenish',
    path: '/inventory/{sku}/replenish',
    scope: 'inventory:admin',
    payload: { quantity: 1 },
  },
  {
    method: 'POST',
    url: '/reservations',
    path: '/reservations',
    scope: 'inventory:reserve',
    payload: { orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 1 }] },
  },
  { method: 'GET', url: '/reservations/o-1', path: '/reservations/{orderId}', scope: 'inventory:read' },
  { method: 'GET', url: '/purchase-orders', path: '/purchase-orders', scope: 'inventory:read' },
  { method: 'GET', url: '/inventory?sku=SKU-1', path: '/inventory', scope: 'inventory:read' },
  {
    method: 'POST',
    url: '/reservations/o-1/extend',
    path: '/reservations/{orderId}/extend',
    scope: 'inventory:reserve',
    payload: { ttlSeconds: 60 },
  },
  {
    method: 'POST',
    url: '/inventory/SKU-1/adjustments',
    path: '/inventory/{sku}/adjustments',
    scope: 'inventory:admin',
    payload: { delta: -1, reason: 'damaged' },
  },
];

export const PROBLEM_TYPE = (slug: string) => `https://inventory-service/problems/${slug}`;

/** Asserts an RFC 9457 response and returns its body. */
export function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
  slug?: string,
): Record<string, unknown> {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^https:\/\/inventory-service\/problems\/[a-z-]+$/),
      title: expect.any(String),
      status,
      instance: expect.any(String),
    }),
  );
  if (slug) expect(body.type).toBe(PROBLEM_TYPE(slug));
  return body;
}

/** Idempotency-Key storage with the Postgres store's rules, minus expiry and leases. */
export class InMemoryIdempotencyStore implements IdempotencyStorePort {
  readonly rows = new Map<string, { fingerprint: string; token: string; response?: StoredResponse }>();
  private claims = 0;
  /** The deadline each call was given, in call order. */
  readonly deadlines: { method: 'begin' | 'complete' | 'abandon'; deadline: Date | undefined }[] = [];
  private id = (s: IdempotencyScope) => JSON.stringify([s.principal, s.method, s.path, s.key]);

  async begin(
    scope: IdempotencyScope,
    fingerprint: string,
    options?: UnitOfWorkOptions,
  ): Promise<IdempotencyBegin> {
    this.deadlines.push({ method: 'begin', deadline: options?.deadline });
    const row = this.rows.get(this.id(scope));
    if (!row) {
      const token = `claim-${++this.claims}`;
      this.rows.set(this.id(scope), { fingerprint, token });
      return { kind: 'started', claim: { ...scope, token } };
    }
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    return row.response ? { kind: 'replay', response: row.response } : { kind: 'in-flight' };
  }

  async complete(
    claim: IdempotencyClaim,
    response: StoredResponse,
    options?: UnitOfWorkOptions,
  ): Promise<void> {
    this.deadlines.push({ method: 'complete', deadline: options?.deadline });
    const row = this.rows.get(this.id(claim));
    if (row?.token === claim.token && !row.response) row.response = response;
  }

  async abandon(claim: IdempotencyClaim, options?: UnitOfWorkOptions): Promise<void> {
    this.deadlines.push({ method: 'abandon', deadline: options?.deadline });
    const row = this.rows.get(this.id(claim));
    if (row?.token === claim.token && !row.response) this.rows.delete(this.id(claim));
  }

  async purgeExpired(_batch: number): Promise<number> {
    return 0;
  }
}
