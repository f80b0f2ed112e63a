import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../../src/adapters/postgres/PrismaClientFactory';
import { PrismaLedgerAuditor } from '../../../src/adapters/postgres/PrismaLedgerAuditor';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueSku } from '../../support/naming';
import { seedStock } from './helpers';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');
const WORKER = join(__dirname, 'fixtures', 'reserve-worker.ts');
const PROCESSES = 4;
const PER_PROCESS = 50;
const STOCK = 100;

interface WorkerResult {
  counts: Record<string, number>;
  errors: string[];
}

/** Starts a worker and resolves once it is connected and waiting for "go". */
function startWorker(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcessWithoutNullStreams; result: Promise<WorkerResult> }> {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [WORKER], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const result = exited.then((code) => {
    const last = stdout.trim().split('\n').at(-1) ?? '';
    if (code !== 0 || !last.startsWith('{')) throw new Error(`worker exited ${code}: ${stderr || stdout}`);
    return JSON.parse(last) as WorkerResult;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ready\n')) resolve();
    });
    exited.then((code) => reject(new Error(`worker exited ${code} before ready: ${stderr}`)));
  });
  return ready.then(() => ({ child, result }));
}

describe('no overselling across OS processes', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase('inv_oversell');
    prisma = createPrismaClient({ connectionString: db.url, poolSize: 2 });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it(`${PROCESSES * PER_PROCESS} concurrent one-unit reserves on a stock of ${STOCK}: exactly ${STOCK} succeed`, async () => {
    const sku = uniqueSku('HOT');
    await seedStock(db.url, { [sku]: STOCK });

    const workers = await Promise.all(
      Array.from({ length: PROCESSES }, (_, p) =>
        startWorker({
          ...process.env,
          DATABASE_URL: db.url,
          DATABASE_POOL_SIZE: '10',
          SKU: sku,
          ORDER_PREFIX: `proc${p}`,
          COUNT: String(PER_PROCESS),
        }),
      ),
    );
    for (const w of workers) w.child.stdin.write('go\n');
    const results = await Promise.all(workers.map((w) => w.result));

    const total = (kind: string) => results.reduce((n, r) => n + (r.counts[kind] ?? 0), 0);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(total('reserved')).toBe(STOCK);
    expect(total('insufficient-stock')).toBe(PROCESSES * PER_PROCESS - STOCK);
    // Every process took part in the race rather than one finishing before the others started.
    expect(results.filter((r) => (r.counts['reserved'] ?? 0) > 0).length).toBeGreaterThan(1);

    const level = await prisma.stockLevel.findUniqueOrThrow({ where: { sku } });
    expect(level).toMatchObject({ onHand: STOCK, reserved: STOCK });
    expect(await prisma.stockMovement.count({ where: { sku, type: 'RESERVE' } })).toBe(STOCK);
    expect(await prisma.reservation.count()).toBe(STOCK);
    expect(await prisma.outboxEvent.count({ where: { eventType: 'StockReserved', partitionKey: sku } })).toBe(
      STOCK,
    );
    // Each successful reserve saw one unit fewer: the ledger's reserved_after runs 1..100 without a gap.
    const after = await prisma.stockMovement.findMany({
      where: { sku, type: 'RESERVE' },
      orderBy: { id: 'asc' },
      select: { reservedAfter: true },
    });
    expect(after.map((m) => m.reservedAfter)).toEqual(Array.from({ length: STOCK }, (_, i) => i + 1));
    expect((await new PrismaLedgerAuditor(prisma).audit()).discrepancies).toEqual([]);
  });
});
